# ~/~ begin <<docs/index.md#src/greeter/__init__.py>>[init]
"""Greet people."""

# ~/~ begin <<docs/index.md#greet>>[init]
def greet(name):
    """A greeting."""

    return f"{PREFIX}, {name}!"
# ~/~ end
# ~/~ end
# ~/~ begin <<docs/index.md#src/greeter/__init__.py>>[1]

PREFIX = "Hello"
# ~/~ end
