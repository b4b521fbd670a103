#!/bin/sh
# Install Cadenza for this user, under ~/.local (or $PREFIX): the app in lib/cadenza, the command
# bin/cadenza, and the desktop entry, icon, AppStream metainfo and .cadenza file type in share/.
# Run it from the unpacked tarball: ./install.sh   Undo with ~/.local/lib/cadenza/uninstall.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-$HOME/.local}
APP=$PREFIX/lib/cadenza
MANIFEST=$APP/installed-files

[ -x "$HERE/Cadenza/cadenza" ] || { echo "error: run install.sh from the unpacked Cadenza tarball." >&2; exit 1; }
[ -x "$APP/uninstall.sh" ] && "$APP/uninstall.sh" --quiet  # an older Cadenza goes first
mkdir -p "$APP" "$PREFIX/bin"
cp -R "$HERE/Cadenza/." "$APP/"
cp "$HERE/uninstall.sh" "$APP/uninstall.sh"
ln -sf "$APP/cadenza" "$PREFIX/bin/cadenza"
: > "$MANIFEST"
echo "$PREFIX/bin/cadenza" >> "$MANIFEST"
(cd "$HERE/share" && find . -type f) | while read -r file; do
    target="$PREFIX/share/${file#./}"
    mkdir -p "$(dirname "$target")"
    case "$file" in
        *.desktop) sed "s|^Exec=cadenza |Exec=\"$APP/cadenza\" |" "$HERE/share/$file" > "$target" ;;  # menus lack ~/.local/bin
        *) cp "$HERE/share/$file" "$target" ;;
    esac
    echo "$target" >> "$MANIFEST"
done
command -v update-mime-database >/dev/null 2>&1 && update-mime-database "$PREFIX/share/mime" >/dev/null 2>&1 || true
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$PREFIX/share/applications" >/dev/null 2>&1 || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$PREFIX/share/icons/hicolor" >/dev/null 2>&1 || true
echo "Cadenza is installed: start it from the applications menu, or run $PREFIX/bin/cadenza."
case ":$PATH:" in *":$PREFIX/bin:"*) ;; *) echo "($PREFIX/bin is not on your PATH: add it to run 'cadenza' in a terminal.)" ;; esac
