#!/bin/sh
# Remove what install.sh installed (the files it listed in lib/cadenza/installed-files), then lib/cadenza.
set -eu
SELF=$(cd "$(dirname "$0")" && pwd)
if [ -f "$SELF/installed-files" ]; then  # run from the installed copy: PREFIX/lib/cadenza
    APP=$SELF
    PREFIX=$(dirname "$(dirname "$APP")")
else  # run from the tarball
    PREFIX=${PREFIX:-$HOME/.local}
    APP=$PREFIX/lib/cadenza
fi
[ -f "$APP/installed-files" ] || { echo "error: no Cadenza installed under $PREFIX." >&2; exit 1; }
while read -r file; do
    rm -f "$file"
done < "$APP/installed-files"
rm -rf "$APP"
command -v update-mime-database >/dev/null 2>&1 && update-mime-database "$PREFIX/share/mime" >/dev/null 2>&1 || true
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$PREFIX/share/applications" >/dev/null 2>&1 || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$PREFIX/share/icons/hicolor" >/dev/null 2>&1 || true
[ "${1:-}" = --quiet ] || echo "Cadenza is uninstalled from $PREFIX (your settings and sketches are kept)."
