# ~/~ begin <<docs/index.md#src/greeter/__main__.py>>[init]
import sys

from greeter import greet

print(greet(sys.argv[1]))
# ~/~ end
