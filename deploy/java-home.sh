#!/usr/bin/env bash
# Prints a JAVA_HOME whose java is release 21 or newer: $JAVA_HOME if it qualifies, else the
# newest JDK under /usr/lib/jvm, else the one on PATH. Exits 1 with a message if none qualifies.
# Used by the `tandem` launcher, deploy/local-pair.sh and .ci/run.
set -euo pipefail
feature() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
candidates=()
[ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
for d in /usr/lib/jvm/*/; do [ -x "$d/bin/javac" ] && candidates+=("${d%/}"); done
if command -v java >/dev/null; then candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"); fi
best= best_version=0
for c in "${candidates[@]}"; do
  [ -x "$c/bin/java" ] || continue
  v=$(feature "$c"); v=${v%%.*}
  if [ "${v:-0}" -ge 21 ] && { [ -z "$best" ] || [ "$v" -gt "$best_version" ]; }; then best=$c best_version=$v; fi
  if [ "$c" = "${JAVA_HOME:-}" ] && [ "${v:-0}" -ge 21 ]; then best=$c; break; fi
done
if [ -z "$best" ]; then
  echo "Tandem needs Java 21 or newer; none found (JAVA_HOME=${JAVA_HOME:-unset}, /usr/lib/jvm, PATH)." >&2
  echo "Install one, e.g. apt-get install openjdk-21-jdk-headless (Debian 13) or a Temurin JDK." >&2
  exit 1
fi
echo "$best"
