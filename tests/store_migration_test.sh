#!/usr/bin/env bash
# Issue 18: a store written before row MACs (tests/fixtures/store_v1: schema 1, made by facet
# ebcbcc3 with its own test key) is migrated on open: every row gets its MAC, the consent's grantor
# and evidence and the face's source hash are sealed and leave the file, the adoption is audited,
# and nothing is lost (the consent reads back, the person is still identified). Then the review's
# attack on the migrated store: a consent's expiry removed in the file, then its MAC and the
# "rows carry MACs" marker removed as well: `facet store check` lists the row and exits 1, and
# every command that reads it fails closed.
# Usage: store_migration_test.sh FACET_BINARY MODEL_DIR FIXTURE_DIR
set -u
facet=$1
models=$2
fixture=$3
samples=$(cd "$models/src/@vladmandic/face-api@1.7.15/demo" && pwd)
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
cp "$fixture/store.db" "$fixture/master.key" "$tmp/"
chmod 600 "$tmp/store.db" "$tmp/master.key"  # git checks files out 0644
export FACET_STORE=$tmp/store.db FACET_KEY_FILE=$tmp/master.key FACET_MODEL_DIR=$models
unset FACET_MASTER_KEY
source "$(dirname "$0")/cli_lib.sh"
sql() {  # sql PYTHON_EXPR_OVER_c: true/false over a connection c to the store
  $py -c "import sqlite3,sys; c=sqlite3.connect('$tmp/store.db'); sys.exit(0 if ($1) else 1)"
}
attack() {  # attack SQL: an edit of the store file by someone without the master key
  $py -c "import sqlite3; c=sqlite3.connect('$tmp/store.db'); c.executescript('''$1'''); c.commit()"
}

check "fixture: schema 1 with the grantor in the clear" \
  sql "c.execute('pragma user_version').fetchone()[0] == 1 and \
       c.execute('select granted_by from consents').fetchone()[0] == 'Grantor Fixture'"

run list consent list --gallery office --person alice --json
check "migrated: consent list exit 0" [ "$(code list)" = 0 ]
check "migrated: the consent reads back" json list \
  "len(d) == 1 and d[0]['granted_by'] == 'Grantor Fixture' and d[0]['evidence'] == 'form-fixture-0042'"
check "migrated: schema 3, every row has a MAC" \
  sql "c.execute('pragma user_version').fetchone()[0] == 3 and \
       all(c.execute('select count(*) from ' + t + ' where mac is null').fetchone()[0] == 0 \
           for t in ('galleries', 'persons', 'consents', 'faces'))"
check "migrated: plaintext columns emptied, sealed ones filled" \
  sql "c.execute(\"select count(*) from consents where granted_by = '' and evidence = '' and sealed_details is not null\").fetchone()[0] == 1 and \
       c.execute(\"select count(*) from faces where source_sha256 = '' and sealed_source is not null\").fetchone()[0] == 1"
check "migrated: grantor, evidence and source hash left the file" \
  $py -c "import sys; b=open('$tmp/store.db','rb').read(); \
          sys.exit(1 if any(s in b for s in (b'Grantor Fixture', b'form-fixture', b'8eb081c9efb1')) else 0)"
run audit audit show --json --limit 1000
check "migrated: the adoption is audited" json audit \
  "[e['action'] for e in d].count('store_protect_rows') == 1"
run verify audit verify
check "migrated: audit chain intact" [ "$(code verify)" = 0 ]
run check1 store check
check "migrated: store check exit 0" [ "$(code check1)" = 0 ]
check "migrated: store check says intact" grep -q "^intact: 4 rows checked, 0 bad" "$tmp/check1.stdout"
run id1 identify --gallery office --purpose "migration test" --json "$samples/sample3.jpg"
check "migrated: alice is still identified" json id1 \
  "[f['decision'] for f in d[0]['faces']].count('alice') == 1"
run list2 consent list --gallery office --person alice --json
run audit2 audit show --json --limit 1000
check "adopted once: a second open adopts nothing" json audit2 \
  "[e['action'] for e in d].count('store_protect_rows') == 1"

# The attack: the consent's expiry removed in the file.
attack "update consents set expires_ms = NULL;"
run check2 store check
check "edited consent: store check exit 1" [ "$(code check2)" = 1 ]
check "edited consent: store check names the row" grep -q "consents row 1 .*changed outside facet" "$tmp/check2.stdout"
run list3 consent list --gallery office --person alice
check "edited consent: consent list exit 1" [ "$(code list3)" = 1 ]
check "edited consent: says store integrity" grep -q "store integrity" "$tmp/list3.stderr"
run id2 identify --gallery office --purpose "migration test" --json "$samples/sample3.jpg"
check "edited consent: identify fails closed" [ "$(code id2)" = 1 ]

# And its MAC and the marker removed too, hoping for a second adoption.
attack "update consents set mac = NULL; delete from meta where key = 'row_macs';"
run check3 store check
check "MAC and marker removed: store check exit 1" [ "$(code check3)" = 1 ]
check "MAC and marker removed: the row has no MAC" grep -q "consents row 1 .*has no MAC" "$tmp/check3.stdout"
run audit3 audit show --json --limit 1000
check "MAC and marker removed: not adopted again" json audit3 \
  "[e['action'] for e in d].count('store_protect_rows') == 1"

finish store_migration_test
