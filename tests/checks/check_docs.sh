#!/bin/sh
# The README and docs/ point only at what exists: every relative Markdown link and every
# `path` in backquotes that names a file of the repository (docs/, src/, include/, tests/,
# examples/, scripts/, bench/, cmake/, man/, packaging/, .ci/, or a top-level file such as
# config.yml) resolves (globs must match something); and they cite no document that is not
# in the repository (the design specs, ARCHITECTURE/STYLE sections, issue numbers).
set -eu
src=${BERTH_SOURCE_DIR:?}
cd "$src"
bad=$(mktemp)
trap 'rm -f "$bad"' EXIT

for f in README.md docs/*.md; do
  dir=$(dirname "$f")
  # [text](target): relative targets, without their #anchor
  grep -o '\[[^]]*\]([^)]*)' "$f" | sed 's/.*](\([^)]*\))/\1/' | while read -r t; do
    case $t in http://*|https://*|mailto:*|'#'*|'') continue ;; esac
    p=${t%%#*}
    [ -e "$dir/$p" ] || [ -e "$p" ] || echo "$f: link to missing $t" >>"$bad"
  done
  # `path`: tokens that look like files of the repository
  grep -o '`[^`]*`' "$f" | tr -d '`' | tr ' ' '\n' | sed 's/[,;:)]*$//' |
    grep -E '^(\./)?(docs|src|include|tests|examples|scripts|bench|cmake|man|packaging|\.ci)/[A-Za-z0-9_.*/-]*[A-Za-z0-9_*]$|^[A-Za-z0-9_-]+\.(md|yml|sh)$' |
    sort -u | while read -r p; do
      case $p in */\*|*.go) continue ;; esac   # a directory glob; Harbor's Go sources
      # a bare name (config.yml) is a top-level file or one next to the document
      # shellcheck disable=SC2086
      set -- $p $dir/$p
      found=no
      for c in "$@"; do for m in $c; do [ -e "$m" ] && found=yes; done; done
      [ $found = yes ] || echo "$f: reference to missing file $p" >>"$bad"
    done
  grep -n -E 'ARCHITECTURE|STYLE §|harbor-jobservice\.md|harbor-jobs\.md|spec §|[Ii]ssue [0-9]+' "$f" |
    sed "s#^#$f:#; s#\$# (a document or issue that is not in the repository)#" >>"$bad" || true
done
if [ -s "$bad" ]; then
  cat "$bad" >&2
  echo "check_docs: $(wc -l <"$bad") dangling reference(s)" >&2
  exit 1
fi
echo "check_docs: ok ($(ls README.md docs/*.md | wc -l) documents)"
