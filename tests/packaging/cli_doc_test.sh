#!/usr/bin/env bash
# The man page and completions against the binary's own --help: every flag, subcommand,
# environment variable and exit code that --help shows must be in them, the generated files must
# be what the binary generates now, and the bash completion must actually complete.
# Usage: cli_doc_test.sh BRIDGE GEN_DIR VERSION START_OPENCLAW
set -uo pipefail
bridge=$1 gen=$2 version=$3 start_openclaw=$4
man_page="$gen/model-runner-bridge.1" bash_comp="$gen/model-runner-bridge.bash" zsh_comp="$gen/_model-runner-bridge"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# --version: the version set in CMakeLists.txt and a commit (or "unknown" outside git).
v=$("$bridge" --version)
[[ "$v" =~ ^model-runner-bridge\ ${version//./\\.}\ \(commit\ ([0-9a-f]{7,40}|unknown)\)$ ]] ||
  fail "--version printed '$v'"

# The generated files are exactly what this binary generates.
cmp -s <("$bridge" --help-man) "$man_page" || fail "$man_page is stale"
cmp -s <("$bridge" --completion bash) "$bash_comp" || fail "$bash_comp is stale"
cmp -s <("$bridge" --completion zsh) "$zsh_comp" || fail "$zsh_comp is stale"

# Every long flag --help shows, for the program and each subcommand.
main_help=$("$bridge" --help)
subs=$(awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' <<<"$main_help")
[ -n "$subs" ] || fail "no subcommands found in --help"
check_flags() { # $1: help text, $2: where
  local flags
  flags=$(grep -oE '(^|[ ,])--[a-z][a-z0-9-]*' <<<"$1" | sed 's/^[ ,]//' | sort -u)
  [ -n "$flags" ] || fail "no flags found in $2 --help"
  for f in $flags; do
    grep -qF -- "${f//-/\\-}" "$man_page" || fail "$f ($2) missing from the man page"
    grep -qE -- "(^|[ \"|(])$f([ \")|]|$)" "$bash_comp" || fail "$f ($2) missing from the bash completion"
    grep -qF -- "'$f[" "$zsh_comp" || fail "$f ($2) missing from the zsh completion"
  done
}
check_flags "$main_help" "model-runner-bridge"
for s in $subs; do
  grep -q "^\.SS $s\$" "$man_page" || fail "subcommand $s has no section in the man page"
  grep -q "'$s:" "$zsh_comp" || fail "subcommand $s missing from the zsh completion"
  check_flags "$("$bridge" "$s" --help)" "$s"
done

# Environment variables and exit codes.
for e in $(grep -oE 'Env:[A-Z_]+' <<<"$main_help" | cut -d: -f2 | sort -u); do
  grep -q "^\\\\fB${e}\\\\fR" "$man_page" || fail "environment variable $e missing from the man page"
done
for e in HTTP_PROXY NO_PROXY OPENCLAW_CONFIG_PATH; do
  grep -q "$e" <<<"$main_help" || fail "$e missing from --help"
  grep -q "^\\\\fB${e}\\\\fR" "$man_page" || fail "$e missing from the man page's ENVIRONMENT"
done
codes=$(awk '/^Exit codes:/ { on = 1; next } on && /^  [0-9]/ { print $1; next } { on = 0 }' <<<"$main_help")
[ "$(wc -w <<<"$codes")" -ge 7 ] || fail "--help lists exit codes '$codes', expected 0-6"
for c in $codes; do
  sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$man_page" | grep -q "^\\\\fB$c\\\\fR" || fail "exit code $c missing from the man page"
done
grep -q '^\.SH LOG FORMAT' "$man_page" || fail "no LOG FORMAT section in the man page"

# The page renders without warnings.
if command -v man >/dev/null && command -v groff >/dev/null; then
  warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$man_page" 2>&1 >/dev/null)
  [ -z "$warn" ] || fail "man --warnings: $warn"
fi

# The bash completion completes: flags, choices, subcommands, a subcommand's own flags.
bash -n "$bash_comp" || fail "bash completion does not parse"
complete_words() { # the words typed so far; prints COMPREPLY
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _model_runner_bridge; echo "${COMPREPLY[*]}"' \
    _ "$bash_comp" model-runner-bridge "$@"
}
[ "$(complete_words --log-f)" = "--log-format" ] || fail "bash: '--log-f' completed to '$(complete_words --log-f)'"
[ "$(complete_words --log-format '')" = "json text" ] || [ "$(complete_words --log-format '')" = "text json" ] ||
  fail "bash: '--log-format ' completed to '$(complete_words --log-format '')'"
[ "$(complete_words doc)" = "doctor" ] || fail "bash: 'doc' completed to '$(complete_words doc)'"
[ "$(complete_words doctor --completion-t)" = "--completion-timeout" ] || fail "bash: 'doctor --completion-t'"
[ -z "$(complete_words models --completion-t)" ] || fail "bash: models offered doctor's --completion-timeout"
# The zsh completion in a real interactive zsh (zpty), when zsh is installed (ci/install-package-deps.sh).
if command -v zsh >/dev/null; then
  zsh -n "$zsh_comp" || fail "zsh completion does not parse"
  zsh_offers() { # WORDS EXPECTED: EXPECTED must be among the candidates
    timeout 10 zsh -f "$(dirname "$0")/zsh_complete.zsh" "$gen" "$1" | grep -qx -- "$2" ||
      fail "zsh: '$1' did not offer '$2'"
  }
  zsh_offers "--log-f" "--log-format"
  zsh_offers "--log-format " "json"
  zsh_offers "doc" "doctor"
  zsh_offers "doctor --completion-t" "--completion-timeout"
  zsh_offers "configure --dr" "--dry-run"
fi

# start-openclaw(1) carries every line of start-openclaw --help.
while IFS= read -r line; do
  [ -z "$line" ] && continue
  grep -qF -- "$(sed 's/\\/\\e/g; s/-/\\-/g' <<<"$line")" "$gen/start-openclaw.1" ||
    fail "start-openclaw(1) lacks: $line"
done < <(bash "$start_openclaw" --help | tail -n +2)

[ "$failures" -eq 0 ] && echo "cli_doc: man page, completions and --version agree with --help"
exit $((failures > 0))
