#!/bin/sh
# Every Redis script as it ships (generated/lua_scripts.c: a script plus the library
# definitions cmake/embed_lua.cmake chose for it) reads only globals that Redis's Lua
# provides, and sets none. A definition the embedding step left out, or a misspelt name,
# would otherwise surface only at run time, on the path that uses it, as Redis's
# "Script attempted to access nonexistent global variable". luac5.1 (Redis embeds Lua 5.1)
# compiles each script without running it and lists its GETGLOBAL/SETGLOBAL operations.
set -eu
bin=${BERTH_BINARY_DIR:?}
gen=$bin/generated/lua_scripts.c
[ -f "$gen" ] || { echo "check_lua_globals: $gen missing (build first)" >&2; exit 1; }
command -v luac5.1 >/dev/null || { echo "check_lua_globals: luac5.1 missing (scripts/deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/berth-luag-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# One <name>.lua per script, from the C arrays.
/usr/bin/python3 - "$gen" "$tmp" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
n = 0
for m in re.finditer(r'const char berth_lua_(\w+)\[\] = \{([^}]*)\}', src):
    data = bytes(int(x, 16) for x in m.group(2).split(',') if x.strip() and x.strip() != '0x00')
    open(f"{sys.argv[2]}/{m.group(1)}.lua", "wb").write(data)
    n += 1
if n == 0:
    sys.exit("check_lua_globals: no script found in " + sys.argv[1])
PY

# What Redis 7's script environment offers (the Lua 5.1 base library as Redis loads it,
# and Redis's own tables).
allowed=" redis KEYS ARGV cjson cmsgpack bit struct string table math tonumber tostring
 type pairs ipairs unpack select error pcall next assert rawget rawset setmetatable
 getmetatable loadstring xpcall gcinfo "
allowed=$(printf '%s' "$allowed" | tr '\n' ' ')
bad=0
for f in "$tmp"/*.lua; do
  name=$(basename "$f" .lua)
  if ! luac5.1 -p -l "$f" > "$tmp/$name.list" 2> "$tmp/$name.err"; then
    echo "check_lua_globals: $name does not compile: $(cat "$tmp/$name.err")" >&2
    bad=1
    continue
  fi
  for op in SETGLOBAL GETGLOBAL; do
    for g in $(sed -n "s/.*$op.*; \([A-Za-z_][A-Za-z0-9_]*\)\$/\1/p" "$tmp/$name.list" | sort -u); do
      case "$allowed" in *" $g "*) known=1 ;; *) known=0 ;; esac
      if [ $op = SETGLOBAL ] || [ $known = 0 ]; then
        echo "check_lua_globals: script $name: $op $g (not a Redis global)" >&2
        bad=1
      fi
    done
  done
done
[ $bad -eq 0 ] || exit 1
echo "check_lua_globals: $(ls "$tmp"/*.lua | wc -l) scripts read only Redis's globals"
