# Assertions for the shell test scripts. Source it; end the script with `finish`.
#   ok MSG / bad MSG                 count a pass / failure
#   expect CODE MSG -- COMMAND...    run COMMAND (stdin closed), check its exit code; output in $out
#   contains MSG TEXT / lacks MSG TEXT   check $out
#   matches MSG REGEX                check $out against an extended regular expression
#   same MSG A B                     check two values are equal
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }
expect() {
  local want=$1 what=$2; shift 3
  out=$("$@" 2>&1 </dev/null); local got=$?
  if [ "$got" = "$want" ]; then ok "$what"; else bad "$what (exit $got, wanted $want): $out"; fi
}
contains() { if grep -qF -- "$2" <<<"$out"; then ok "$1"; else bad "$1: no '$2' in: $out"; fi; }
lacks() { if grep -qF -- "$2" <<<"$out"; then bad "$1: '$2' in: $out"; else ok "$1"; fi; }
matches() { if grep -qE -- "$2" <<<"$out"; then ok "$1"; else bad "$1: no /$2/ in: $out"; fi; }
same() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: '$2' != '$3'"; fi; }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}
