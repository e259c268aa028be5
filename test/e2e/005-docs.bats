#!/usr/bin/env bats
# The documentation keeps up with the command line: every command and flag
# that `--help` shows has a man page that mentions it and renders cleanly,
# and both shell completions know it.
load helpers

# man/ and completions/ live in the source tree: $SKIFF_SOURCE_DIR when the
# suite runs from a staged copy (scripts/test sets it), else two folders up.
source_top() {
  local top
  for top in ${SKIFF_SOURCE_DIR:+"$SKIFF_SOURCE_DIR"} "$BATS_TEST_DIRNAME/../.."; do
    [ -d "$top/man" ] && { echo "$top"; return; }
  done
  return 1
}

# Names (aliases too) under "Subcommands:" in `skiff ARGS... --help`.
subcommands_of() {
  "$SKIFF" "$@" --help | awk '
    /^Subcommands:/ { on = 1; next }
    /^[^ ]/ { on = 0 }
    on && /^  [^ ]/ { sub(/^  /, ""); split($0, cell, /  +/); print cell[1] }' |
    tr -d ' ' | tr ',' '\n'
}

# Option names ("-a", "--all") under "Options:" in `skiff ARGS... --help`.
flags_of() {
  "$SKIFF" "$@" --help | awk '
    /^Options:/ { on = 1; next }
    /^[^ ]/ { on = 0 }
    on && /^  -/ { sub(/^  /, ""); split($0, cell, / /); print cell[1] }' |
    tr ',' '\n'
}

# A man page's text with roff escapes for hyphens and fonts removed.
page_text() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$1"; }

# What the tests compare, gathered once: every command path ("images",
# "image", "image ls", ...) in paths, "PATH<tab>FLAG" lines in flags (the
# empty path is `skiff` itself), and "NAME<tab>PAGE" lines in pages for each
# name a page documents: its file name and the names on its NAME line (twins
# such as `image ls` and `images` share a page).
setup_file() {
  local cache=$BATS_FILE_TMPDIR cmd sub path flag page name
  {
    for cmd in $(subcommands_of); do
      echo "$cmd"
      for sub in $(subcommands_of "$cmd"); do echo "$cmd $sub"; done
    done
  } >"$cache/paths"
  while read -r path; do
    # shellcheck disable=SC2086
    for flag in $(flags_of $path); do printf '%s\t%s\n' "$path" "$flag"; done
  done < <(echo; cat "$cache/paths") >"$cache/flags"
  local top
  top=$(source_top) || return 0
  for page in "$top"/man/*.1; do
    name=$(basename "$page" .1)
    printf '%s\t%s\n' "$name" "$page"
    page_text "$page" | sed -n '/^\.SH NAME/{n;p;q}' | sed 's/ - .*//' | tr -d ' ' | tr ',' '\n' |
      grep -vx -- "$name" | sed "s|\$|\t$page|"
  done >"$cache/pages"
}

per_test_setup() {
  local top
  top=$(source_top) ||
    skip "no man/ folder under ${SKIFF_SOURCE_DIR:-$BATS_TEST_DIRNAME/../..} (a staged copy without docs)"
  MAN_DIR=$top/man
  COMPLETIONS_DIR=$top/completions
}

command_paths() { cat "$BATS_FILE_TMPDIR/paths"; }

# The flags of one command path ("" for skiff itself).
flags_for() { awk -F '\t' -v path="$1" '$1 == path { print $2 }' "$BATS_FILE_TMPDIR/flags"; }

# The page that documents a command path ("" for skiff itself).
page_for() {
  local name="skiff${1:+-${1// /-}}"
  awk -F '\t' -v name="$name" '$1 == name { print $2; found = 1; exit } END { exit !found }' \
    "$BATS_FILE_TMPDIR/pages"
}

# Runs the bash completion for the words given, the last being completed;
# prints the candidates one a line.
bash_complete() {
  bash --norc --noprofile -c '
    source "$1"
    shift
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    _skiff
    printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETIONS_DIR/skiff.bash" "$@"
}

@test "every command and subcommand has a man page" {
  local missing="" path
  while read -r path; do
    page_for "$path" >/dev/null || missing+=" skiff-${path// /-}"
  done < <(command_paths)
  page_for "" >/dev/null || missing+=" skiff"
  [ -z "$missing" ] || { echo "no man page documents:$missing (add man/<name>.1, or list the name in a page's NAME)"; return 1; }
}

# True when `flag` appears in `text` as a whole word.
has_flag() {
  local re="(^|[^[:alnum:]-])$2([^[:alnum:]-]|\$)"
  [[ $1 =~ $re ]]
}

@test "every flag in --help is in the command's man page" {
  local missing="" path page flag text
  while read -r path; do
    page=$(page_for "$path") || continue
    text=$(page_text "$page")
    for flag in $(flags_for "$path"); do
      local entry
      entry=" $(basename "$page"):$flag"
      has_flag "$text" "$flag" || [[ $missing == *"$entry"* ]] || missing+=$entry
    done
  done < <(echo; command_paths)
  [ -z "$missing" ] || { echo "flags missing from man pages:$missing"; return 1; }
}

@test "every man page has the usual sections" {
  local page section text missing=""
  for page in "$MAN_DIR"/*.1; do
    text=$'\n'$(<"$page")$'\n'
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS EXAMPLES "EXIT STATUS" "SEE ALSO"; do
      [[ $text == *$'\n'".SH $section"$'\n'* || $text == *$'\n'".SH \"$section\""$'\n'* ]] ||
        missing+=" $(basename "$page"):$section"
    done
  done
  [ -z "$missing" ] || { echo "sections missing:$missing"; return 1; }
}

@test "every man page renders without warnings" {
  command -v man >/dev/null || skip "man is not installed"
  local page warnings=""
  for page in "$MAN_DIR"/*.1; do
    local err
    err=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
    [ -z "$err" ] || warnings+=$'\n'"$(basename "$page"): $err"
  done
  [ -z "$warnings" ] || { echo "man warnings:$warnings"; return 1; }
}

@test "every command name is in both completion files" {
  local missing="" path word file text re
  for file in skiff.bash _skiff; do
    text=$(<"$COMPLETIONS_DIR/$file")
    while read -r path; do
      word=${path##* }
      re="(^|[^[:alnum:]_-])$word([^[:alnum:]_-]|\$)"
      [[ $text =~ $re ]] || missing+=" $file:$word"
    done < <(command_paths)
  done
  [ -z "$missing" ] || { echo "commands missing from completions:$missing"; return 1; }
}

@test "every long flag is in both completion files" {
  local missing="" path flag bash_text zsh_text
  bash_text=$(<"$COMPLETIONS_DIR/skiff.bash")
  zsh_text=$(<"$COMPLETIONS_DIR/_skiff")
  while read -r path; do
    for flag in $(flags_for "$path"); do
      [[ $flag == --* ]] || continue
      has_flag "$bash_text" "$flag" || missing+=" skiff.bash:${path:-skiff}:$flag"
      has_flag "$zsh_text" "$flag" || missing+=" _skiff:${path:-skiff}:$flag"
    done
  done < <(echo; command_paths)
  [ -z "$missing" ] || { echo "flags missing from completions:$missing"; return 1; }
}

@test "the bash completion is valid bash and completes commands" {
  bash -n "$COMPLETIONS_DIR/skiff.bash"
  run bash_complete skiff ima
  [ "$status" -eq 0 ]
  assert_output_contains "image"
  assert_output_contains "images"
  # Every command and subcommand is offered where it belongs.
  local cmd sub
  run bash_complete skiff ""
  for cmd in $(grep -v ' ' "$BATS_FILE_TMPDIR/paths"); do
    [[ $'\n'"$output"$'\n' == *$'\n'"$cmd"$'\n'* ]] || { echo "skiff <TAB> lacks $cmd: $output"; return 1; }
  done
  for cmd in image system; do
    run bash_complete skiff "$cmd" ""
    for sub in $(sed -n "s/^$cmd //p" "$BATS_FILE_TMPDIR/paths"); do
      [[ $'\n'"$output"$'\n' == *$'\n'"$sub"$'\n'* ]] || { echo "skiff $cmd <TAB> lacks $sub: $output"; return 1; }
    done
  done
}

@test "the bash completion offers each command's flags" {
  local path flag
  while read -r path; do
    [ -n "$path" ] || continue
    # shellcheck disable=SC2086
    run bash_complete skiff $path --
    for flag in $(flags_for "$path"); do
      [[ $flag == --* ]] || continue
      [[ $'\n'"$output"$'\n' == *$'\n'"$flag"$'\n'* ]] || { echo "skiff $path --<TAB> lacks $flag: $output"; return 1; }
    done
  done < <(command_paths)
}

@test "the bash completion offers image names from the store the line names" {
  run_skiff import "$(busybox_tar)" docs-image:1.0
  run_skiff import "$(busybox_tar)"
  run bash_complete "$SKIFF" rmi ""
  assert_output_contains "docs-image:1.0"
  assert_output_not_contains "<none>"
  # --root on the line wins over SKIFF_ROOT, as it does for skiff.
  local root=$SKIFF_ROOT
  output=$(SKIFF_ROOT=$SKIFF_TEST_DIR/elsewhere bash_complete "$SKIFF" --root "$root" rmi "")
  assert_output_contains "docs-image:1.0"
  output=$(SKIFF_ROOT=$SKIFF_TEST_DIR/elsewhere bash_complete "$SKIFF" rmi "")
  assert_output_not_contains "docs-image"
  [ ! -e "$SKIFF_TEST_DIR/elsewhere" ]
}

@test "the zsh completion is valid zsh" {
  # scripts/setup installs zsh: a skip here hid a broken file once.
  command -v zsh >/dev/null || skip "zsh is not installed"
  head -1 "$COMPLETIONS_DIR/_skiff" | grep -qx '#compdef skiff'
  zsh -n "$COMPLETIONS_DIR/_skiff"
}
