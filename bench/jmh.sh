#!/usr/bin/env bash
# JMH microbenchmarks (src/jmh/java) against the built application's classes: bitmap set/scan and RLE
# exchange of a 1 TiB volume's bitmap, the sync handshake, NBD write decoding, and protobuf framing of
# 4 KiB and 1 MiB Write packets. Compiled here with javac (not part of the Maven build, which stays as it is);
# JMH 1.37 comes from the local Maven repository (fetched once with ./mvnw dependency:get).
# Arguments go to JMH (e.g. a benchmark regex); the default run is short: 1 fork, 2x1 s warm-up, 3x1 s.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
app="$here/target/quarkus-app"
[ -d "$app/lib/main" ] || { echo "bench: $app is missing; build it first: ./mvnw package -DskipTests" >&2; exit 1; }
JAVA_HOME=$("$here/deploy/java-home.sh")
repo=${MAVEN_REPO:-$HOME/.m2/repository}
jar() { echo "$repo/$1"; }
jmh=(org/openjdk/jmh/jmh-core/1.37/jmh-core-1.37.jar net/sf/jopt-simple/jopt-simple/5.0.4/jopt-simple-5.0.4.jar
  org/apache/commons/commons-math3/3.6.1/commons-math3-3.6.1.jar)
gen=org/openjdk/jmh/jmh-generator-annprocess/1.37/jmh-generator-annprocess-1.37.jar
if [ ! -f "$(jar "$gen")" ] || [ ! -f "$(jar "${jmh[0]}")" ]; then
  (cd "$here" && JAVA_HOME=$JAVA_HOME ./mvnw -q -B dependency:get -Dartifact=org.openjdk.jmh:jmh-generator-annprocess:1.37)
fi
cp="$app/app/*:$app/lib/main/*"
for j in "${jmh[@]}"; do cp="$cp:$(jar "$j")"; done
out="$here/target/jmh"
rm -rf "$out" && mkdir -p "$out/classes"
"$JAVA_HOME/bin/javac" -nowarn -d "$out/classes" -cp "$cp" -processorpath "$(jar "$gen"):$cp" \
  $(find "$here/src/jmh/java" -name '*.java')
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg), $($JAVA_HOME/bin/java -version 2>&1 | head -1)"
exec "$JAVA_HOME/bin/java" --sun-misc-unsafe-memory-access=allow -cp "$out/classes:$cp" org.openjdk.jmh.Main \
  -f 1 -wi 2 -w 1s -i 3 -r 1s "$@"
