#!/usr/bin/env bash
# Prints the path of an untarred Django sdist (DJANGO_VERSION, default 5.2.8), downloading it
# from PyPI into target/bench/sdist and untarring it into target/bench/ on first use.
# Used by bench/check.sh and tests/real_code.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DJANGO_VERSION=${DJANGO_VERSION:-5.2.8}
SDIST_DIR=$PWD/target/bench/sdist
DJANGO=$PWD/target/bench/django-$DJANGO_VERSION
if [[ ! -d $DJANGO ]]; then
    if [[ ! -f $SDIST_DIR/django-$DJANGO_VERSION.tar.gz ]]; then
        echo "downloading the Django $DJANGO_VERSION sdist..." >&2
        python3 -m pip download --quiet --disable-pip-version-check --no-deps \
            --no-binary :all: "django==$DJANGO_VERSION" -d "$SDIST_DIR" >&2
    fi
    tar -xzf "$SDIST_DIR/django-$DJANGO_VERSION.tar.gz" -C "$PWD/target/bench"
fi
echo "$DJANGO"
