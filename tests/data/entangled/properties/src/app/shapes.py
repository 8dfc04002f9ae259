# ~/~ begin <<lit/shapes.md#src/app/shapes.py>>[init]
import math


def area(radius):
    return math.pi * radius**2
# ~/~ end
