#!/usr/bin/env bash
# Galleries through the CLI: init (key file 0600), consent-gated enrollment, identify JSON, revoke
# and erase, audit verify (and its failure on a tampered log), damaged stores, and kill -9 during a
# bulk enrollment (every enrollment reported done survives; the store opens cleanly).
# Usage: gallery_cli_test.sh FACET_BINARY MODEL_DIR
set -u
facet=$1
models=$2
samples=$(cd "$models/src/@vladmandic/face-api@1.7.15/demo" && pwd)
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
export FACET_STORE=$tmp/store.db FACET_KEY_FILE=$tmp/master.key FACET_MODEL_DIR=$models
umask 022  # the usual umask: facet must still make the store and key private
unset FACET_MASTER_KEY
source "$(dirname "$0")/cli_lib.sh"

run init init
check "init: exit 0" [ "$(code init)" = 0 ]
check "init: key file is 0600" [ "$(stat -c %a "$tmp/master.key")" = 600 ]
check "init: store is 0600 under umask 022" [ "$(stat -c %a "$tmp/store.db")" = 600 ]
run init2 init
check "init twice: refused" [ "$(code init2)" = 1 ]
check "init twice: key untouched" [ "$(stat -c %a "$tmp/master.key")" = 600 ]

run g1 gallery create office --purpose "door access"
check "gallery create: exit 0" [ "$(code g1)" = 0 ]
run g2 gallery create "bad name!" --purpose x
check "gallery create: bad name is a usage error" [ "$(code g2)" = 2 ]
run g2d gallery create . --purpose x
check "gallery create: '.' is refused" [ "$(code g2d)" = 2 ]
run g2dd gallery create .. --purpose x
check "gallery create: '..' is refused" [ "$(code g2dd)" = 2 ]
run p1 person add --gallery office --person alice --name "Alice Example"
check "person add: exit 0" [ "$(code p1)" = 0 ]

# No consent: enrollment refused with a clear error.
run e1 enroll --gallery office --person alice "$samples/sample3.jpg"
check "enroll without consent: exit 1" [ "$(code e1)" = 1 ]
check "enroll without consent: says so" grep -q "no valid consent" "$tmp/e1.stderr"
run c1 consent grant --gallery office --person alice --scope identify --purpose "door access" \
  --granted-by alice --evidence sha256:0123 --expires 2099-01-01
check "consent grant: exit 0" [ "$(code c1)" = 0 ]
run e2 enroll --gallery office --person alice "$samples/sample3.jpg"
check "enroll: exit 0" [ "$(code e2)" = 0 ]
check "enroll: reported" grep -q "^enrolled alice" "$tmp/e2.stdout"

# Identify: JSON keys, the enrolled face found, the other faces unknown.
run i0 identify --gallery office "$samples/sample3.jpg"
check "identify without purpose: usage error" [ "$(code i0)" = 2 ]
run i1 identify --gallery office --purpose "door test" --json "$samples/sample3.jpg"
check "identify: exit 0" [ "$(code i1)" = 0 ]
check "identify: JSON per face has box, candidates, decision" json i1 \
  "all(set(f) == {'box','candidates','decision'} and len(f['box']) == 4 for f in d[0]['faces'])"
check "identify: alice found once, other faces unknown" json i1 \
  "[f['decision'] for f in d[0]['faces']].count('alice') == 1 and \
   all(f['decision'] in ('alice','unknown') for f in d[0]['faces'])"
check "identify: candidate keys" json i1 \
  "all(set(c) == {'person','similarity','confidence'} for f in d[0]['faces'] for c in f['candidates'])"
check "identify: unknown faces get no candidate" json i1 \
  "all(f['candidates'] == [] for f in d[0]['faces'] if f['decision'] == 'unknown')"
run v1 verify --gallery office --person alice --purpose "door test" --json "$samples/sample3.jpg"
check "verify: same" json v1 "d['same'] is True"

# Export holds the person; erase removes them; the audit log stays intact.
run x1 person export --gallery office --person alice --purpose "access request" --out "$tmp/alice.json"
check "export: exit 0" [ "$(code x1)" = 0 ]
check "export: file is 0600" [ "$(stat -c %a "$tmp/alice.json")" = 600 ]
check "export: content" $py -c "import json,sys; d=json.load(open('$tmp/alice.json')); \
sys.exit(0 if d['person']['display_name']=='Alice Example' and len(d['faces'])==1 and \
len(d['faces'][0]['template'])==192 and d['consents'][0]['evidence']=='sha256:0123' else 1)"
# An export never writes over a file: not the master key, not the store, not an earlier export.
key_before=$(sha256sum <"$FACET_KEY_FILE")
store_before=$(sha256sum <"$FACET_STORE")
export_before=$(sha256sum <"$tmp/alice.json")
for target in "$FACET_KEY_FILE" "$FACET_STORE" "$tmp/alice.json"; do
  run x_over person export --gallery office --person alice --purpose "access request" --out "$target"
  check "export over $(basename "$target"): refused" [ "$(code x_over)" = 1 ]
done
check "export over the key: key intact" [ "$(sha256sum <"$FACET_KEY_FILE")" = "$key_before" ]
check "export over the store: store intact" [ "$(sha256sum <"$FACET_STORE")" = "$store_before" ]
check "export over an export: intact" [ "$(sha256sum <"$tmp/alice.json")" = "$export_before" ]
run r1 consent revoke --gallery office --person alice --all
check "revoke: templates shredded" grep -q "data key destroyed" "$tmp/r1.stdout"
run i2 identify --gallery office --purpose "door test" --json "$samples/sample3.jpg"
check "identify after revoke: nobody" json i2 "all(f['decision'] == 'unknown' for f in d[0]['faces'])"
run x2 person erase --gallery office --person alice
check "erase: exit 0" [ "$(code x2)" = 0 ]
run a1 audit verify
check "audit verify: intact" [ "$(code a1)" = 0 ]
run a2 audit show --json --limit 1000
check "audit: identify entries carry actor and purpose" json a2 \
  "any(e['action']=='identify' and e['purpose']=='door test' and e['actor'] for e in d)"
check "audit: no name, id or template" bash -c "! grep -q -e alice -e 'Alice Example' '$tmp/a2.stdout'"

# A tampered audit log is detected.
cp "$tmp/store.db" "$tmp/tampered.db"
$py - "$tmp/tampered.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("DROP TRIGGER audit_no_update; UPDATE audit SET purpose='nothing' WHERE action='identify';")
db.commit()
EOF
run a3 audit verify --store "$tmp/tampered.db"
check "audit verify: tampering detected (exit 1)" [ "$(code a3)" = 1 ]
check "audit verify: names the entry" grep -q "BROKEN at entry" "$tmp/a3.stdout"

# Anchors: a log cut back to an older head (that head's record written back) verifies alone but
# not against an anchor taken before the cut; dropped triggers alone are reported.
cp "$tmp/store.db" "$tmp/old_head.db"  # the head as someone once read it
run an0 identify --gallery office --purpose "door test" "$samples/sample3.jpg"
run an1 audit anchor --out "$tmp/anchor1.json"
check "audit anchor: exit 0" [ "$(code an1)" = 0 ]
check "audit anchor: one JSON line with the head" $py -c \
  "import json; d=json.load(open('$tmp/anchor1.json')); assert d['format']=='facet.audit.anchor.v1' and d['count']>1"
run an1b audit anchor --out "$tmp/anchor1.json"
check "audit anchor: never overwrites an anchor" [ "$(code an1b)" = 1 ]
run an2 audit verify --anchor "$tmp/anchor1.json"
check "audit verify --anchor: intact (exit 0)" [ "$(code an2)" = 0 ]
cp "$tmp/store.db" "$tmp/cut.db"
$py - "$tmp/old_head.db" "$tmp/cut.db" <<'EOF'
import sqlite3, sys
old = dict(sqlite3.connect(sys.argv[1]).execute(
    "SELECT key, value FROM meta WHERE key LIKE 'audit_head_%'").fetchall())
db = sqlite3.connect(sys.argv[2])
db.executescript("DROP TRIGGER audit_no_delete;")
db.execute("DELETE FROM audit WHERE seq > ?", (int(old["audit_head_count"]),))
for k, v in old.items():
    db.execute("UPDATE meta SET value = ? WHERE key = ?", (v, k))
db.executescript("CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
                 "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;")
db.commit()
EOF
run an3 audit verify --store "$tmp/cut.db"
check "a cut-back log alone verifies (why anchors exist)" [ "$(code an3)" = 0 ]
run an4 audit verify --store "$tmp/cut.db" --anchor "$tmp/anchor1.json"
check "a cut-back log fails against the anchor (exit 1)" [ "$(code an4)" = 1 ]
check "a cut-back log: says cut back" grep -q "cut back" "$tmp/an4.stdout"
cp "$tmp/store.db" "$tmp/notrigger.db"
$py -c "import sqlite3; db = sqlite3.connect('$tmp/notrigger.db'); db.execute('DROP TRIGGER audit_no_update'); db.commit()"
run an5 audit verify --store "$tmp/notrigger.db"
check "a dropped trigger: reported (exit 1)" [ "$(code an5)" = 1 ]
check "a dropped trigger: named" grep -q "audit_no_update" "$tmp/an5.stdout"
printf 'not an anchor\n' >"$tmp/bad_anchor.json"
run an6 audit verify --anchor "$tmp/bad_anchor.json"
check "audit verify --anchor garbage: exit 1" [ "$(code an6)" = 1 ]
check "audit verify --anchor garbage: says why" grep -q "audit anchor" "$tmp/an6.stderr"

# Damaged stores: a clear error, never a crash.
size=$(stat -c %s "$tmp/store.db")
head -c $((size / 2)) "$tmp/store.db" >"$tmp/half.db"
head -c 100 "$tmp/store.db" >"$tmp/header.db"
echo "not a database" >"$tmp/text.db"
chmod 600 "$tmp/half.db" "$tmp/header.db" "$tmp/text.db"  # else refused for their mode first
for bad in half header text; do
  run "bad_$bad" gallery list --store "$tmp/$bad.db"
  check "$bad store: exit 1" [ "$(code "bad_$bad")" = 1 ]
  check "$bad store: says it is damaged or not a store" grep -q -e damaged -e "not a facet store" "$tmp/bad_$bad.stderr"
done
run wrongkey gallery list --key-file /dev/null
check "unreadable key: exit 1 or 2" [ "$(code wrongkey)" != 0 ]
(umask 077; printf '%064d\n' 0 >"$tmp/other.key")
run otherkey gallery list --key-file "$tmp/other.key"
check "another store's key: refused" grep -q "does not belong" "$tmp/otherkey.stderr"

# kill -9 during a bulk enrollment: every "enrolled" line printed before the kill is in the
# store, the store opens and its audit log verifies; a re-run completes the rest.
mkdir -p "$tmp/people"
for p in p1 p2 p3 p4 p5 p6 p7 p8; do
  mkdir "$tmp/people/$p"
  for i in 1 2 3 4 5 6; do ln -s "$samples/sample$i.jpg" "$tmp/people/$p/s$i.jpg"; done
done
{
  echo "person,granted_by,scope,purpose"
  for p in p1 p2 p3 p4 p5 p6 p7 p8; do echo "$p,$p,identify,kill test"; done
} >"$tmp/consents.csv"
run g3 gallery create bulk --purpose "kill test"
: >"$tmp/reported.txt"
kills=0
for round in 1 2 3; do
  : >"$tmp/kill$round.stdout"
  "$facet" enroll --gallery bulk --folder "$tmp/people" --consents "$tmp/consents.csv" \
    --min-quality low >"$tmp/kill$round.stdout" 2>"$tmp/kill$round.stderr" &
  pid=$!
  target=$((round * 6))
  for _ in $(seq 1 600); do
    [ "$(grep -c '^enrolled' "$tmp/kill$round.stdout")" -ge "$target" ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  [ $? = 137 ] && kills=$((kills + 1))
  grep '^enrolled' "$tmp/kill$round.stdout" >>"$tmp/reported.txt"
done
check "kill -9: the enrollment was killed mid-way ($kills of 3 rounds)" [ "$kills" -ge 1 ]
reported=$(wc -l <"$tmp/reported.txt")
check "kill -9: some enrollments reported before the kills" [ "$reported" -ge 6 ]
run ka audit verify
check "kill -9: store opens, audit intact" [ "$(code ka)" = 0 ]
ok=1
for p in p1 p2 p3 p4 p5 p6 p7 p8; do
  "$facet" person export --gallery bulk --person "$p" --purpose "kill test check" >"$tmp/export_$p.json" 2>/dev/null || true
done
while read -r _ person path face_field _; do
  face=${face_field#face=}
  $py -c "import json,sys; d=json.load(open('$tmp/export_$person.json')); \
sys.exit(0 if any(f['face_id']==$face for f in d['faces']) else 1)" || { ok=0; echo "lost: $person $path face $face" >&2; }
done <"$tmp/reported.txt"
check "kill -9: every reported enrollment is in the store ($reported)" [ $ok = 1 ]
run kfinal enroll --gallery bulk --folder "$tmp/people" --consents "$tmp/consents.csv" --min-quality low
check "kill -9: a re-run completes (exit 0)" [ "$(code kfinal)" = 0 ]
check "kill -9: nothing enrolled twice (48 faces)" bash -c \
  "'$facet' gallery list --json | $py -c \"import json,sys; d=json.load(sys.stdin); \
sys.exit(0 if [g['faces'] for g in d if g['name']=='bulk']==[48] else 1)\""

# A consent CSV with a quoted field left open is refused, naming the line; nobody is enrolled.
printf 'person,granted_by,scope,purpose\nq1,q1,identify,"unterminated\n' >"$tmp/open_quote.csv"
run openq enroll --gallery bulk --folder "$tmp/people" --consents "$tmp/open_quote.csv"
check "consent CSV, open quote: exit 2, line named" \
  sh -c "[ $(code openq) = 2 ] && grep -q 'open_quote.csv:2: a quoted field is not closed' '$tmp/openq.stderr'"

finish gallery_cli_test
