# ~/~ begin <<lit/index.md#main>>[init]
from app.shapes import area

# ~/~ begin <<lit/index.md#report>>[init]
print(area(2))
# ~/~ end
# ~/~ begin <<lit/index.md#report>>[1]
print("done")
# ~/~ end
# ~/~ end
