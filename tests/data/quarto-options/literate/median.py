# %% [markdown]
# # The median, as a percent script

# %%
#| file:
#|   stats/median.py
def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]

# %%
#| test
#| fixtures:
#| - capsys
from stats.median import median

print(median([3, 1, 2]))
assert capsys.readouterr().out == "2\n"
