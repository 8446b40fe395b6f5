"""Print `name==floor` for every `name>=floor` in the files given: the lowest versions the project promises.

    python .ci/floors.py requirements.txt requirements-scale.txt   # e.g. numpy==2.0 pandas==3.0 ...

`.ci/run` installs these into a second environment and runs the engine and dashboard tests there, so
every floor in requirements.txt is a tested promise.
"""
import re
import sys
from pathlib import Path

pins = []
lines = [line for path in sys.argv[1:] for line in Path(path).read_text().splitlines()]
for line in lines:
    line = line.split("#", 1)[0].strip()
    exact = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*==\s*([^,;\s]+)", line)
    floor = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([^,;\s]+)", line)
    if exact:
        pins.append(f"{exact.group(1)}=={exact.group(2)}")
    elif floor:
        pins.append(f"{floor.group(1)}=={floor.group(2)}")
print(" ".join(pins))
