# Shared by the CLI test scripts (source it after setting `facet` and `tmp`): each check is
# counted, each run of the CLI records its exit code, stdout and stderr, and `finish` reports.
# RUN_TIMEOUT (seconds, default 120) bounds every run: a hang fails instead of stalling ctest.
py=/usr/bin/python3
passed=0
failed=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name" >&2; fi
}
run() {  # run OUT_PREFIX ARGS...: records exit code, stdout, stderr
  local out=$1; shift
  timeout "${RUN_TIMEOUT:-120}" "$facet" "$@" >"$tmp/$out.stdout" 2>"$tmp/$out.stderr"
  echo $? >"$tmp/$out.code"
}
code() { cat "$tmp/$1.code"; }
json() {  # json OUT_PREFIX PYTHON_EXPR: the expression (over d = parsed stdout) must be true
  $py -c "import json,sys; d=json.load(open('$tmp/$1.stdout')); sys.exit(0 if ($2) else 1)"
}
finish() {  # finish NAME: prints the tally; the script's exit status is 0 only if none failed
  echo "$1: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}
