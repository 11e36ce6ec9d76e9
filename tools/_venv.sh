# Sourced by tools/serve and tools/test: make .venv and install the package once per setup.cfg change.
# Python: $GATEWAY_PYTHON, else python3.11..3.13 on PATH or under pyenv.

find_python() {
    # A candidate counts only if it runs: pyenv puts shims on PATH for versions it has not
    # made global, and those fail with "command not found".
    local minor="$1" candidate
    for candidate in "python3.$minor" "$HOME/.pyenv/versions/3.$minor"*/bin/python; do
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, '"$minor"'))' \
                >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# ensure_venv DIR PYTHON EXTRAS: create DIR with PYTHON and install this package with EXTRAS.
ensure_venv() {
    local venv="$1" python="$2" extras="$3" stamp
    stamp="$(cat setup.cfg setup.py pyproject.toml | sha256sum | cut -c1-16)-$extras"
    if [ ! -x "$venv/bin/python" ]; then
        echo "==> creating $venv with $python"
        "$python" -m venv "$venv"
    fi
    if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$stamp" ]; then
        echo "==> installing edxml-gateway$extras into $venv"
        # pip's output goes to a log shown only on failure: setuptools is noisy about editable installs.
        if ! { "$venv/bin/python" -m pip install --upgrade pip \
               && "$venv/bin/python" -m pip install -e ".$extras"; } > "$venv/pip.log" 2>&1; then
            cat "$venv/pip.log" >&2
            echo "error: installing into $venv failed (see above); check network access to PyPI" >&2
            return 1
        fi
        echo "$stamp" > "$venv/.installed"
    fi
}

default_python() {
    if [ -n "${GATEWAY_PYTHON:-}" ]; then echo "$GATEWAY_PYTHON"; return 0; fi
    find_python 11 || find_python 12 || find_python 13 || {
        echo "error: no Python 3.11-3.13 found; install one (e.g. 'pyenv install 3.11') or set GATEWAY_PYTHON" >&2
        return 1
    }
}
