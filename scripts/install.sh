#!/usr/bin/env bash
# make install / make uninstall: the tools, a man page per tool and subcommand
# (scripts/help2man.pl: each page is the --help text verbatim, defaults, value
# lists and examples included) and bash/zsh completion scripts
# (--generate-completion-script), from an existing release build.
#   scripts/install.sh install   PREFIX [DESTDIR]
#   scripts/install.sh uninstall PREFIX [DESTDIR]
# install records every file it writes, and every folder it has to create, in
# PREFIX/share/dl/installed-files; uninstall removes exactly those files, then
# those folders if they are empty, and the list: nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:?usage: scripts/install.sh install|uninstall PREFIX [DESTDIR]}
prefix=${2:?usage: scripts/install.sh install|uninstall PREFIX [DESTDIR]}
destdir=${3:-}
[[ $prefix == /* ]] || { echo "install.sh: error: PREFIX must be an absolute path (got '$prefix')" >&2; exit 2; }
bin=.build/release
tools=(dl-compress dl-data dl-fit dl-kfilter dl-layerwise dl-measure dl-neurashed)
manifest=share/dl/installed-files

case $action in
install)
  for t in "${tools[@]}"; do
    [[ -x $bin/$t ]] || { echo "install.sh: error: $bin/$t is missing (run 'make install', which builds it)" >&2; exit 1; }
  done
  stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage/man"
  date=$(git log -1 --format=%cs 2>/dev/null || date +%F)
  # The subcommands a help page lists (not the parser's own `help`).
  subcommands() { awk '/^SUBCOMMANDS:/ { s = 1; next } s && /^  [a-z]/ { print $1 } s && /^$/ { s = 0 }' | grep -vx help || true; }
  for t in "${tools[@]}"; do
    subs=$(COLUMNS=80 "$bin/$t" --help | subcommands)
    pages=()
    for s in $subs; do pages+=("$t.$s"); done
    COLUMNS=80 "$bin/$t" --help | perl scripts/help2man.pl "$t" "$date" "${pages[@]}" > "$stage/man/$t.1"
    for s in $subs; do
      COLUMNS=80 "$bin/$t" "$s" --help | perl scripts/help2man.pl "$t.$s" "$date" "$t" > "$stage/man/$t.$s.1"
    done
  done
  root=$destdir$prefix
  files=() dirs=()
  put() {  # mode source destination (relative to PREFIX)
    local d=$(dirname "$3")
    while [[ $d != . && ! -d $root/$d ]]; do
      [[ " ${dirs[*]} " == *" $d/ "* ]] || dirs+=("$d/")
      d=$(dirname "$d")
    done
    install -D -m "$1" "$2" "$root/$3"
    files+=("$3")
  }
  for t in "${tools[@]}"; do
    put 755 "$bin/$t" "bin/$t"
    "$bin/$t" --generate-completion-script bash > "$stage/$t.bash"
    "$bin/$t" --generate-completion-script zsh > "$stage/$t.zsh"
    put 644 "$stage/$t.bash" "share/bash-completion/completions/$t"
    put 644 "$stage/$t.zsh" "share/zsh/site-functions/_$t"
  done
  for page in "$stage"/man/*.1; do put 644 "$page" "share/man/man1/$(basename "$page")"; done
  [[ -d $root/share/dl ]] || dirs+=("share/dl/")
  mkdir -p "$root/share/dl"
  printf '%s\n' "${files[@]}" "${dirs[@]}" > "$root/$manifest"
  echo "installed ${#files[@]} files under $root (list: $root/$manifest)" >&2
  ;;
uninstall)
  root=$destdir$prefix
  [[ -f $root/$manifest ]] || { echo "install.sh: error: $root/$manifest not found: nothing was installed under $prefix" >&2; exit 1; }
  n=0 dirs=()
  while IFS= read -r f; do
    [[ -n $f && $f != /* && $f != *..* ]] || { echo "install.sh: error: bad line '$f' in $root/$manifest" >&2; exit 1; }
    if [[ $f == */ ]]; then dirs+=("$f"); else rm -f "$root/$f"; n=$((n + 1)); fi
  done < "$root/$manifest"
  rm -f "$root/$manifest"
  # Folders install created, deepest first, if nothing else has moved in.
  for d in $(printf '%s\n' "${dirs[@]}" | awk -F/ '{ print NF "\t" $0 }' | sort -rn | cut -f2); do
    rmdir "$root/$d" 2>/dev/null || true
  done
  echo "removed $n files from $root" >&2
  ;;
*) echo "install.sh: error: unknown action '$action' (install or uninstall)" >&2; exit 2 ;;
esac
