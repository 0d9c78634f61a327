"""Print pip constraints that pin every dependency in setup.cfg to the lowest release it allows.

``make test-oldest`` installs lstmbook[tensorflow,test] under these constraints in a separate
virtual environment, so that the floors setup.cfg promises (``tensorflow>=2.16`` ...) are tested,
not just written down. Only the direct dependencies are pinned; pip resolves the rest.

Usage: python .ci/lowest.py [setup.cfg] [extra ...]   (default extras: test)
"""

import configparser
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from packaging.version import InvalidVersion, Version


def requirements(path: str, extras: list[str]) -> list[tuple[str, str]]:
    config = configparser.ConfigParser()
    config.read(path)
    lines = config["options"]["install_requires"].splitlines()
    for extra in extras:
        lines += config["options.extras_require"][extra].splitlines()
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9][0-9A-Za-z.]*)", line)
        if line and not match:
            raise SystemExit(f"setup.cfg: cannot read a floor from {line!r} (write name>=version)")
        if match:
            found[match.group(1).lower()] = match.group(2)
    return sorted(found.items())


def lowest(name: str, floor: str) -> str:
    """The lowest release of ``name`` at or above ``floor`` that pip can install here."""
    done = subprocess.run([sys.executable, "-m", "pip", "index", "versions", name],
                          capture_output=True, text=True, check=True)
    listed = re.search(r"Available versions: (.*)", done.stdout).group(1).split(", ")
    versions = []
    for text in listed:
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if not version.is_prerelease and version >= Version(floor):
            versions.append(version)
    if not versions:
        raise SystemExit(f"no release of {name} at or above {floor}")
    return str(min(versions))


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "setup.cfg"
    extras = sys.argv[2:] or ["test"]
    pins = requirements(path, extras)
    with ThreadPoolExecutor(8) as pool:
        versions = list(pool.map(lambda pin: lowest(*pin), pins))
    for (name, _), version in zip(pins, versions, strict=True):
        print(f"{name}=={version}")


if __name__ == "__main__":
    main()
