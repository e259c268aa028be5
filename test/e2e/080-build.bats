#!/usr/bin/env bats
# skiff build: Dockerfiles run rootless, step by step, with a cache.
load helpers

per_test_setup() {
  import_busybox
  CTX=$SKIFF_TEST_DIR/ctx
  mkdir -p "$CTX"
}
per_test_teardown() { remove_all_containers; }

# dockerfile TEXT: writes the context's Dockerfile.
dockerfile() { printf '%s\n' "$1" >"$CTX/Dockerfile"; }

# The number of steps a build's output says came from the cache.
cached_steps() { grep -c -- '---> Using cache' <<<"$output" || true; }

@test "build runs FROM, ARG, ENV, WORKDIR, COPY, RUN, LABEL, EXPOSE, USER, CMD and the image has them" {
  echo hello >"$CTX/hello.txt"
  mkdir "$CTX/sub" && echo deep >"$CTX/sub/deep.txt"
  dockerfile 'ARG BASE=busybox
FROM $BASE AS base
ARG GREETING=hi
ENV APP=/app \
    MODE="two words"
WORKDIR $APP
COPY hello.txt .
COPY sub/ ./sub/
RUN echo "$GREETING from RUN in $(pwd)" > run.txt
LABEL org.example.name="my app" version=1
EXPOSE 8080 53/udp 9000-9001/tcp
USER 1000:1000
CMD ["cat", "/app/run.txt"]'
  run_skiff build -t app:1 --build-arg GREETING=hello "$CTX"
  assert_output_contains "Step 7/11 : RUN"
  assert_output_contains "Successfully tagged app:1"
  run_skiff run --rm --user 0 app:1
  assert_equal "$output" "hello from RUN in /app"
  run_skiff run --rm --user 0 app:1 sh -c 'cat /app/hello.txt /app/sub/deep.txt; echo "$APP|$MODE|${GREETING:-unset}"; id -u'
  assert_equal "$output" "$(printf 'hello\ndeep\n/app|two words|unset\n0')"
  run_skiff image inspect -f '{{.Config.WorkingDir}} {{.Config.User}} {{index .Config.Labels "org.example.name"}} {{.Config.Labels.version}}' app:1
  assert_equal "$output" "/app 1000:1000 my app 1"
  run_skiff image inspect -f '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}' app:1
  assert_equal "$output" "53/udp 8080/tcp 9000/tcp 9001/tcp "
}

@test "a rebuild with nothing changed takes every step from the cache and gives the same image" {
  echo a >"$CTX/a.txt"
  dockerfile 'FROM busybox
ENV X=1
COPY a.txt /a.txt
RUN cat /a.txt > /b.txt
CMD ["cat", "/b.txt"]'
  run_skiff build -q -t c:1 "$CTX"
  first=$output
  [[ "$first" =~ ^sha256:[0-9a-f]{64}$ ]]
  run_skiff build -t c:1 "$CTX"
  assert_equal "$(cached_steps)" 4
  assert_output_contains "Successfully built ${first:7:12}"
  # A file touched but not changed is still the same content.
  touch -d '2001-01-01' "$CTX/a.txt"
  run_skiff build -q -t c:1 "$CTX"
  assert_equal "$output" "$first"
  # A changed file rebuilds its COPY and what follows, not what precedes.
  echo b >"$CTX/a.txt"
  run_skiff build -t c:1 "$CTX"
  assert_equal "$(cached_steps)" 1
  run_skiff run --rm c:1
  assert_equal "$output" "b"
  # --no-cache runs every step.
  run_skiff build --no-cache -t c:1 "$CTX"
  assert_equal "$(cached_steps)" 0
}

@test "a build arg is part of RUN's cache key; an unused one is warned about" {
  dockerfile 'FROM busybox
ARG V=one
RUN echo $V > /v'
  run_skiff build -t v:1 "$CTX"
  run_skiff build -t v:1 --build-arg V=two "$CTX"
  assert_equal "$(cached_steps)" 0
  run_skiff run --rm v:1 cat /v
  assert_equal "$output" "two"
  run_skiff_split build -q -t v:1 --build-arg V=two --build-arg NOPE=1 "$CTX"
  [[ "$stderr" == *"build-args [NOPE] were not consumed"* ]]
}

@test ".dockerignore keeps files out of COPY, with ! exceptions; an excluded source is not found" {
  mkdir "$CTX/logs"
  echo keep >"$CTX/keep.txt"
  echo secret >"$CTX/secret.txt"
  echo a >"$CTX/logs/a.log"
  echo important >"$CTX/logs/important.log"
  printf '# comment\nsecret.txt\nlogs\n!logs/important.log\n' >"$CTX/.dockerignore"
  dockerfile 'FROM busybox
COPY . /ctx/'
  run_skiff build -t ign:1 "$CTX"
  run_skiff run --rm ign:1 find /ctx -type f
  assert_output_contains "/ctx/keep.txt"
  assert_output_contains "/ctx/logs/important.log"
  assert_output_not_contains "secret.txt"
  assert_output_not_contains "a.log"
  dockerfile 'FROM busybox
COPY secret.txt /'
  run_skiff 125 build -q "$CTX"
  assert_skiff_error "file not found in build context or excluded by .dockerignore"
  assert_output_contains "Dockerfile:2"
  # Containerfile and .containerignore are podman's names for the same files.
  rm "$CTX/Dockerfile" "$CTX/.dockerignore"
  printf 'keep.txt\n' >"$CTX/.containerignore"
  printf 'FROM busybox\nCOPY . /ctx/\n' >"$CTX/Containerfile"
  run_skiff build -t ign:2 "$CTX"
  run_skiff run --rm ign:2 ls /ctx
  assert_output_contains "secret.txt"
  assert_output_not_contains "keep.txt"
}

@test "hostile context: symlinks are copied as symlinks and nothing outside the context is read" {
  echo "outside secret" >"$SKIFF_TEST_DIR/outside.txt"
  mkdir "$CTX/d"
  ln -s "$SKIFF_TEST_DIR/outside.txt" "$CTX/link"
  ln -s ../../outside.txt "$CTX/d/rel"
  ln -s "$SKIFF_TEST_DIR" "$CTX/dirlink"
  dockerfile 'FROM busybox
COPY . /ctx/
COPY link /one-link'
  run_skiff build -t sym:1 "$CTX"
  run_skiff run --rm sym:1 sh -c 'for l in /ctx/link /ctx/d/rel /ctx/dirlink /one-link; do readlink $l; done; cat /ctx/link /one-link 2>/dev/null || echo none-inside'
  assert_equal "${lines[0]}" "$SKIFF_TEST_DIR/outside.txt"
  assert_equal "${lines[1]}" "../../outside.txt"
  assert_equal "${lines[2]}" "$SKIFF_TEST_DIR"
  assert_equal "${lines[3]}" "$SKIFF_TEST_DIR/outside.txt"
  assert_equal "${lines[4]}" "none-inside"
  # No layer in the store holds the outside file's content.
  run grep -rl "outside secret" "$SKIFF_ROOT/layers"
  assert_equal "$output" ""
  # Sources that climb out of the context are refused.
  dockerfile 'FROM busybox
COPY ../outside.txt /x'
  run_skiff 125 build -q "$CTX"
  assert_skiff_error "forbidden path outside the build context"
  # A source under a symlinked folder is not found through it.
  dockerfile 'FROM busybox
COPY dirlink/outside.txt /x'
  run_skiff 125 build -q "$CTX"
  assert_skiff_error "file not found in build context"
}

@test "COPY places files as docker does: into folders, through the image's symlinks, keeping folders' modes" {
  echo f >"$CTX/f.txt"
  dockerfile 'FROM busybox
RUN mkdir -p /opt/real && ln -s real /opt/link && chmod 1777 /tmp
COPY f.txt /opt/link/
COPY f.txt /tmp/
COPY f.txt /bin
COPY --chown=1000:1001 --chmod=0600 f.txt /owned/f
COPY f.txt /new/deep/dir/'
  run_skiff build -t place:1 "$CTX"
  run_skiff run --rm place:1 sh -c 'test -L /opt/link && echo link-kept; cat /opt/real/f.txt; stat -c %a /tmp; cat /tmp/f.txt /bin/f.txt; stat -c "%u:%g %a" /owned/f; cat /new/deep/dir/f.txt'
  # Without a subordinate range, IDs other than 0 can't be kept: root owns it.
  owner=1000:1001
  has_subids || owner=0:0
  assert_equal "$output" "$(printf 'link-kept\nf\n1777\nf\nf\n%s 600\nf' "$owner")"
}

@test "multi-stage: FROM a stage, --target, and stages the target does not need are skipped" {
  dockerfile 'FROM busybox AS first
RUN echo one > /one
FROM busybox AS broken
RUN exit 7
FROM first AS second
RUN cat /one > /two
FROM second
CMD ["cat", "/two"]'
  run_skiff build -t ms:1 "$CTX"
  assert_output_not_contains "exit 7"
  run_skiff run --rm ms:1
  assert_equal "$output" "one"
  run_skiff build -t ms:first --target first "$CTX"
  run_skiff run --rm ms:first ls /
  assert_output_not_contains "two"
  run_skiff 125 build -q --target nosuch "$CTX"
  assert_skiff_error "target stage \`nosuch\` could not be found"
}

@test "a failing RUN stops the build with its exit code, names nothing and leaves no container" {
  dockerfile 'FROM busybox
RUN echo before; exit 3'
  run_skiff 1 build -t fail:1 "$CTX"
  assert_output_contains "before"
  assert_output_contains "returned a non-zero code: 3"
  assert_output_contains "Dockerfile:2"
  run_skiff 125 image inspect fail:1
  run_skiff ps -aq
  assert_equal "$output" ""
  # Quiet, the failed step's output is still shown, on stderr.
  run_skiff_split 1 build -q -t fail:1 "$CTX"
  assert_equal "$output" ""
  [[ "$stderr" == *before*"returned a non-zero code: 3"* ]]
}

@test "RUN heredocs, SHELL, ENTRYPOINT resetting an inherited CMD, and ONBUILD triggers" {
  dockerfile 'FROM busybox
RUN <<EOF
echo from heredoc > /h
echo second line >> /h
EOF
SHELL ["/bin/sh", "-ec"]
RUN cat > /script <<EOT
x=1
EOT
ONBUILD RUN echo triggered > /t
CMD ["echo", "base cmd"]'
  run_skiff build -t hd:1 "$CTX"
  run_skiff run --rm hd:1 cat /h /script
  assert_equal "$output" "$(printf 'from heredoc\nsecond line\nx=1')"
  run_skiff image inspect -f '{{json .Config.Shell}} {{json .Config.OnBuild}}' hd:1
  assert_equal "$output" '["/bin/sh","-ec"] ["RUN echo triggered > /t"]'
  dockerfile 'FROM hd:1
ENTRYPOINT ["cat"]'
  run_skiff build -t hd:2 "$CTX"
  assert_output_contains "ONBUILD RUN echo triggered"
  run_skiff image inspect -f '{{json .Config.Cmd}} {{json .Config.OnBuild}}' hd:2
  assert_equal "$output" 'null null'
  run_skiff run --rm hd:2 /t
  assert_equal "$output" "triggered"
}

@test "-f, -q, --iidfile, --label, and build steps listed by images -a only" {
  mkdir "$CTX/other"
  printf 'FROM busybox\nRUN touch /x\n' >"$CTX/other/Build.file"
  run_skiff_split build -q -f "$CTX/other/Build.file" --iidfile "$SKIFF_TEST_DIR/iid" --label team=blue -t q:1 "$CTX"
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  assert_equal "$(cat "$SKIFF_TEST_DIR/iid")" "$output"
  run_skiff image inspect -f '{{.Config.Labels.team}}' q:1
  assert_equal "$output" "blue"
  run_skiff images --format '{{.Repository}}'
  assert_equal "$output" "$(printf 'q\nbusybox')"
  run_skiff images -a -q
  [ "${#lines[@]}" -eq 3 ]
}

@test "build errors are clear, exit 125, and name the Dockerfile's line" {
  dockerfile 'FROM busybox
FRM x'
  run_skiff 125 build -q "$CTX"
  assert_skiff_error "Dockerfile:2: unknown instruction: FRM"
  rm "$CTX/Dockerfile"
  run_skiff 125 build "$CTX"
  assert_skiff_error "no Dockerfile or Containerfile"
  run_skiff 125 build "$SKIFF_TEST_DIR/nosuch"
  assert_skiff_error "unable to prepare context"
  dockerfile 'FROM busybox
RUN --mount=type=cache,target=/c true'
  run_skiff 125 build -q "$CTX"
  assert_skiff_error "needs BuildKit"
  dockerfile 'FROM scratch
RUN true'
  run_skiff 125 build -q "$CTX"
  assert_skiff_error "FROM scratch"
  dockerfile 'FROM busybox'
  run_skiff 125 build -q -t 'Bad Tag!' "$CTX"
  assert_skiff_error "invalid tag"
  run_skiff 125 build -q --build-arg =x "$CTX"
  assert_skiff_error "invalid --build-arg"
  # Several sources, or a wildcard's several matches, need a folder.
  touch "$CTX/a.txt" "$CTX/b.txt"
  for copy in 'COPY a.txt b.txt /file' 'COPY *.txt /file' 'COPY --from=busybox /bin/ls /bin/cat /file'; do
    dockerfile "FROM busybox
$copy"
    run_skiff 125 build -q "$CTX"
    assert_skiff_error "When using COPY with more than one source file, the destination must be a directory and end with a /"
  done
}

@test "builder prune removes the steps and the cache's index, image prune the dangling steps; named images stay" {
  dockerfile 'FROM busybox
RUN echo a > /a
RUN echo b > /b'
  run_skiff build -q -t bp:1 "$CTX"
  run_skiff images -aq
  [ "${#lines[@]}" -eq 3 ]
  run_skiff 125 builder prune
  assert_skiff_error "use -f"
  run_skiff builder prune -f
  assert_output_contains "Deleted build cache objects:"
  assert_output_contains "Total reclaimed space:"
  run_skiff images -aq
  [ "${#lines[@]}" -eq 2 ]
  run_skiff run --rm bp:1 cat /a /b
  assert_equal "$output" "$(printf 'a\nb')"
  [ ! -e "$SKIFF_ROOT/build-cache" ]
  run_skiff build -t bp:1 "$CTX"
  assert_equal "$(cached_steps)" 0
  run_skiff image prune -f
  run_skiff images -aq
  [ "${#lines[@]}" -eq 2 ]
  run_skiff run --rm bp:1 cat /b
  assert_equal "$output" "b"
}

@test "COPY --from takes files from another stage, by name or index, or from an image, through its symlinks" {
  dockerfile 'FROM busybox AS build
RUN mkdir -p /out/sub && echo bin > /out/app && echo s > /out/sub/s && ln -s app /out/link && ln -s /out /outlink && rm /bin/vi
FROM busybox
COPY --from=build /out/app /usr/local/bin/
COPY --from=build /outlink/sub /sub
COPY --from=0 /out/link /link
COPY --from=build /out/su* /globbed/
COPY --from=busybox /bin/vi /vi-from-image
COPY --from=build --chown=2:3 --chmod=0640 /out/app /owned'
  run_skiff build -t from:1 "$CTX"
  run_skiff run --rm from:1 sh -c 'cat /usr/local/bin/app /sub/s /link /globbed/s; test -L /link || echo link-followed; test -e /vi-from-image && echo vi; stat -c "%u:%g %a" /owned'
  owner=2:3
  has_subids || owner=0:0
  assert_equal "$output" "$(printf 'bin\ns\nbin\ns\nlink-followed\nvi\n%s 640' "$owner")"
  # Its cache key is the source image: a rebuild takes it from the cache.
  run_skiff build -t from:1 "$CTX"
  assert_equal "$(cached_steps)" 7
  dockerfile 'FROM busybox
COPY --from=busybox /nosuch /x'
  run_skiff 125 build -q "$CTX"
  assert_skiff_error "not found in the image"
}

@test "the context may be a tar archive (plain, gzip or xz), a tar on stdin, or a Dockerfile alone on stdin" {
  echo t >"$CTX/t.txt"
  mkdir "$CTX/sub"
  printf 'FROM busybox\nCOPY t.txt /t.txt\nCMD ["cat", "/t.txt"]\n' >"$CTX/Dockerfile"
  printf 'FROM busybox\nCOPY t.txt /other.txt\n' >"$CTX/sub/Other.file"
  tar -czf "$SKIFF_TEST_DIR/ctx.tgz" -C "$CTX" .
  tar -cf "$SKIFF_TEST_DIR/ctx.tar" -C "$CTX" .
  # A private TMPDIR: where the unpacked contexts go, and must not stay.
  export TMPDIR=$SKIFF_TEST_DIR/tmp
  mkdir "$TMPDIR"
  run_skiff build -q -t tar:1 "$SKIFF_TEST_DIR/ctx.tgz"
  run_skiff run --rm tar:1
  assert_equal "$output" "t"
  run_skiff build -q -t tar:2 - <"$SKIFF_TEST_DIR/ctx.tar"
  run_skiff run --rm tar:2
  assert_equal "$output" "t"
  xz -c -T1 "$SKIFF_TEST_DIR/ctx.tar" >"$SKIFF_TEST_DIR/ctx.txz"
  run_skiff build -q -t tar:4 - <"$SKIFF_TEST_DIR/ctx.txz"
  run_skiff run --rm tar:4
  assert_equal "$output" "t"
  # -f names the Dockerfile inside a tar context.
  run_skiff build -q -t tar:3 -f sub/Other.file "$SKIFF_TEST_DIR/ctx.tar"
  run_skiff run --rm tar:3 cat /other.txt
  assert_equal "$output" "t"
  printf 'FROM busybox\nRUN echo alone > /a\n' | run_skiff build -q -t alone:1 -
  run_skiff run --rm alone:1 cat /a
  assert_equal "$output" "alone"
  # No temporary context is left behind.
  assert_equal "$(ls -A "$TMPDIR")" ""
}

@test "a hostile context archive can't write outside its folder" {
  python3 - "$SKIFF_TEST_DIR/evil.tar" "$SKIFF_TEST_DIR/outside" <<'PY'
import io, sys, tarfile
out, outside = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w") as t:
    def add(name, data=b"x", **kw):
        info = tarfile.TarInfo(name)
        for k, v in kw.items(): setattr(info, k, v)
        if info.type == tarfile.REGTYPE: info.size = len(data); t.addfile(info, io.BytesIO(data))
        else: t.addfile(info)
    add("Dockerfile", b"FROM busybox\nCOPY . /ctx/\n")
    add("link", type=tarfile.SYMTYPE, linkname=outside)
    add("link/escaped", b"escaped")
PY
  mkdir "$SKIFF_TEST_DIR/outside"
  run_skiff build -q -t evil:1 "$SKIFF_TEST_DIR/evil.tar"
  [ -z "$(ls -A "$SKIFF_TEST_DIR/outside")" ]
  python3 - "$SKIFF_TEST_DIR/dotdot.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    info = tarfile.TarInfo("../dotdot"); info.size = 1; t.addfile(info, io.BytesIO(b"x"))
PY
  run_skiff 125 build -q "$SKIFF_TEST_DIR/dotdot.tar"
  assert_skiff_error "unsafe name"
  [ ! -e "$SKIFF_TEST_DIR/dotdot" ]
  echo "not a tar" >"$SKIFF_TEST_DIR/plain.txt"
  run_skiff 125 build -q "$SKIFF_TEST_DIR/plain.txt"
  assert_skiff_error "neither a folder nor a tar archive"
}

@test "WORKDIR makes its folder when the image lacks it, and adds no layer when it has it" {
  dockerfile 'FROM busybox
WORKDIR /srv/app/data
WORKDIR /tmp
CMD ["pwd"]'
  run_skiff build -t wd:1 "$CTX"
  run_skiff image inspect -f '{{len .RootFS.Layers}}' wd:1
  assert_equal "$output" "2"
  run_skiff run --rm wd:1 sh -c 'test -d /srv/app/data && echo made; stat -c %a /tmp'
  assert_equal "$output" "$(printf 'made\n1777')"
}

@test "ADD unpacks a local tar archive (plain or gzip) into its destination; other files it copies" {
  mkdir -p "$SKIFF_TEST_DIR/src/pkg/bin"
  echo tool >"$SKIFF_TEST_DIR/src/pkg/bin/tool"
  chmod 755 "$SKIFF_TEST_DIR/src/pkg/bin/tool"
  ln -s bin/tool "$SKIFF_TEST_DIR/src/pkg/link"
  tar -czf "$CTX/pkg.tar.gz" -C "$SKIFF_TEST_DIR/src" pkg
  tar -cf "$CTX/plain.tar" -C "$SKIFF_TEST_DIR/src" pkg
  echo note >"$CTX/note.txt"
  dockerfile 'FROM busybox
ADD pkg.tar.gz /opt/
ADD plain.tar /plain
ADD note.txt /notes/'
  run_skiff build -t add:1 "$CTX"
  run_skiff run --rm add:1 sh -c 'cat /opt/pkg/bin/tool /plain/pkg/link /notes/note.txt; stat -c %a /opt/pkg/bin/tool; test -e /opt/pkg.tar.gz || echo unpacked'
  assert_equal "$output" "$(printf 'tool\ntool\nnote\n755\nunpacked')"
  run_skiff build -t add:1 "$CTX"
  assert_equal "$(cached_steps)" 3
  python3 - "$CTX/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    info = tarfile.TarInfo("../../escape"); info.size = 1; t.addfile(info, io.BytesIO(b"x"))
PY
  dockerfile 'FROM busybox
ADD evil.tar /x/'
  run_skiff 125 build -q "$CTX"
  assert_skiff_error "climbs out of the destination"
}

@test "ADD of a URL downloads it (mode 0600, named after the URL into a folder), and a failed download is an error" {
  mkdir "$SKIFF_TEST_DIR/www"
  echo "served" >"$SKIFF_TEST_DIR/www/file.txt"
  serve_once "$SKIFF_TEST_DIR/www"
  dockerfile "FROM busybox
ADD http://127.0.0.1:$SERVER_PORT/file.txt /downloads/"
  run_skiff build -q -t url:1 "$CTX"
  wait "$SERVER_PID"
  run_skiff run --rm url:1 sh -c 'cat /downloads/file.txt; stat -c %a /downloads/file.txt'
  assert_equal "$output" "$(printf 'served\n600')"
  serve_once "$SKIFF_TEST_DIR/www"
  dockerfile "FROM busybox
ADD http://127.0.0.1:$SERVER_PORT/missing.txt /x"
  run_skiff 125 build -q "$CTX"
  wait "$SERVER_PID"
  assert_skiff_error "404"
}

@test "ADD unpacks xz and bzip2 archives too, and takes archives, URLs and files together in one step" {
  mkdir -p "$SKIFF_TEST_DIR/src/pkg"
  echo packed >"$SKIFF_TEST_DIR/src/pkg/file"
  tar -cJf "$CTX/pkg.tar.xz" -C "$SKIFF_TEST_DIR/src" pkg
  tar -cjf "$CTX/pkg.tar.bz2" -C "$SKIFF_TEST_DIR/src" pkg
  echo note >"$CTX/note.txt"
  mkdir "$SKIFF_TEST_DIR/www"
  echo served >"$SKIFF_TEST_DIR/www/got.txt"
  serve_once "$SKIFF_TEST_DIR/www"
  dockerfile "FROM busybox
ADD pkg.tar.xz /xz
ADD pkg.tar.bz2 note.txt http://127.0.0.1:$SERVER_PORT/got.txt /mixed/"
  run_skiff build -t mixed:1 "$CTX"
  wait "$SERVER_PID"
  run_skiff run --rm mixed:1 sh -c 'cat /xz/pkg/file /mixed/pkg/file /mixed/note.txt /mixed/got.txt; ls /mixed'
  assert_equal "$output" "$(printf 'packed\npacked\nnote\nserved\ngot.txt\nnote.txt\npkg')"
  # Several sources need a folder for a destination, as docker says.
  dockerfile 'FROM busybox
ADD pkg.tar.xz note.txt /file'
  run_skiff 125 build -q "$CTX"
  assert_skiff_error "When using ADD with more than one source file, the destination must be a directory and end with a /"
  # A cut archive is named, with why. The whole archive is about 200
  # bytes, so the cut is half of whatever it came to.
  head -c $(($(stat -c %s "$CTX/pkg.tar.xz") / 2)) "$CTX/pkg.tar.xz" >"$CTX/cut.tar.xz"
  dockerfile 'FROM busybox
ADD cut.tar.xz /cut/'
  run_skiff 125 build -q "$CTX"
  assert_skiff_error "cut.tar.xz"
  assert_skiff_error "xz: unexpected end of data"
}

@test "COPY of heredocs makes files from the Dockerfile's own text, variables expanded unless quoted" {
  dockerfile 'FROM busybox
ARG WHO=world
COPY <<EOF /greeting
hello $WHO
EOF
COPY <<"RAW" <<two.txt /docs/
kept $WHO
RAW
second
two.txt
COPY note.txt <<EOF /both/
inline
EOF'
  echo note >"$CTX/note.txt"
  run_skiff build -t hdoc:1 "$CTX"
  run_skiff run --rm hdoc:1 sh -c 'cat /greeting /docs/RAW /docs/two.txt /both/note.txt /both/EOF; stat -c %a /greeting'
  assert_equal "$output" "$(printf 'hello world\nkept $WHO\nsecond\nnote\ninline\n644')"
}

@test "HEALTHCHECK, STOPSIGNAL, VOLUME and MAINTAINER reach the image's config; ARG values reach them expanded" {
  dockerfile 'FROM busybox
ARG SIG=SIGUSR1
HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD wget -qO- localhost || exit 1
STOPSIGNAL $SIG
VOLUME ["/data", "/logs"]
MAINTAINER Jane Doe'
  run_skiff build -t meta:1 "$CTX"
  run_skiff image inspect -f '{{json .Config.Healthcheck}}|{{.Config.StopSignal}}|{{json .Config.Volumes}}|{{.Author}}' meta:1
  assert_equal "$output" '{"Test":["CMD-SHELL","wget -qO- localhost || exit 1"],"Interval":5000000000,"Timeout":2000000000,"Retries":4}|SIGUSR1|{"/data":{},"/logs":{}}|Jane Doe'
  dockerfile 'FROM meta:1
HEALTHCHECK NONE'
  run_skiff build -t meta:2 "$CTX"
  run_skiff image inspect -f '{{json .Config.Healthcheck.Test}}' meta:2
  assert_equal "$output" '["NONE"]'
}
