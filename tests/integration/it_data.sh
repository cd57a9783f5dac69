# CSV data rows ({{data.COLUMN}}): each user logs in with its own row
# (sequential: user k takes row k mod rows; random: a seeded shuffle, each
# row once per pass), the server echoes the username it received, and the
# ack of a publish carrying it is counted per row (see data-login.yaml).
# Rows wrong, repeated, swapped or shared across shards change the counts.
# Also: bad columns, CSV errors and a missing file are spec errors.
# ctest: parallel
. "$(dirname "$0")/lib.sh"
SPEC="$DATA/it/data-login.yaml"
counts() { jq -c '[.steps[] | select(.name | test("^(login|alice|bob|carol|dave|in order)$")) | .ok]' "$1"; }

run_wsgate "$WORK/seq" run "$SPEC"
expect_rc 0
[ "$(counts "$WORK/seq/result.json")" = "[4,1,1,1,1,4]" ] || fail "sequential: $(counts "$WORK/seq/result.json")"

# 8 users over 4 rows: two passes, user 5 takes row 1 again
cp "$DATA/it/data-users.csv" "$WORK/" && sed 's/users: 4/users: 8/' "$SPEC" >"$WORK/eight.yaml"
run_wsgate "$WORK/eight" run "$WORK/eight.yaml"
expect_rc 0
[ "$(counts "$WORK/eight/result.json")" = "[8,2,2,2,2,8]" ] || fail "8 users: $(counts "$WORK/eight/result.json")"

# shards have disjoint global ids, so disjoint rows
run_wsgate "$WORK/s1" run "$SPEC" --shard 1/2
expect_rc 0
[ "$(counts "$WORK/s1/result.json")" = "[2,1,0,1,0,2]" ] || fail "shard 1/2: $(counts "$WORK/s1/result.json")"
run_wsgate "$WORK/s2" run "$SPEC" --shard 2/2
expect_rc 0
[ "$(counts "$WORK/s2/result.json")" = "[2,0,1,0,1,2]" ] || fail "shard 2/2: $(counts "$WORK/s2/result.json")"

# random with --seed 1: every row exactly once, none where sequential puts it
sed 's/order: sequential/order: random/' "$SPEC" >"$WORK/random.yaml"
run_wsgate "$WORK/rand" run "$WORK/random.yaml" --seed 1
expect_rc 0
[ "$(counts "$WORK/rand/result.json")" = "[4,1,1,1,1,0]" ] || fail "random: $(counts "$WORK/rand/result.json")"

# spec errors: exit 2, one line with where and what, nothing written
spec_error() { # NAME SPECFILE EXPECTED-TEXT
  run_wsgate "$WORK/$1" run "$2"
  expect_rc 2
  grep -qF -- "$3" "$WORK/stderr" || fail "$1: $(cat "$WORK/stderr")"
  [ ! -e "$WORK/$1" ] || fail "$1: output written for a bad spec"
}
sed 's/data.password}}"}/data.pasword}}"}/' "$SPEC" >"$WORK/col.yaml"
spec_error column "$WORK/col.yaml" \
  'col.yaml:19: bad template in scenarios[0].on_start[0].http.json: unknown column "pasword" in data.pasword; did you mean "password"?'
grep -qF "has the columns: data.username, data.password" "$WORK/stderr" || fail "column list"
printf 'username,password\r\nalice,"pw\r\n1",x\r\nbob,"pw2\r\n' >"$WORK/bad.csv"
sed 's/data-users.csv/bad.csv/' "$SPEC" >"$WORK/badcsv.yaml"
spec_error fields "$WORK/badcsv.yaml" "$WORK/bad.csv:2: row has 3 fields but the header has 2 (username, password)"
printf 'username,password\nbob,"pw2\n\n' >"$WORK/bad.csv"
spec_error quote "$WORK/badcsv.yaml" "$WORK/bad.csv:2: the quote opened on this line is never closed"
sed 's/data-users.csv/missing.csv/' "$SPEC" >"$WORK/missing.yaml"
spec_error missing "$WORK/missing.yaml" "missing.yaml:8: data.file: cannot read $WORK/missing.csv: No such file or directory"
pass "data rows: sequential, two passes, shards, seeded random, and spec errors"
