#!/usr/bin/env zsh -f
# zsh_complete.zsh DIR WORDS: the completions zsh offers for "model-runner-bridge WORDS" with the
# completion function from DIR, one per line. Drives a real interactive zsh through zpty and
# records what the completion system adds (compadd), so it tests the generated _model-runner-bridge
# as a user's shell would use it. Waits for at least one candidate (callers wrap it in `timeout`).
emulate -L zsh
dir=$1 words=$2
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z 'comptest() { compadd() { builtin compadd -O __hits "$@"; print -l -- "<<${^__hits[@]}>>"; unset __hits }; }'
zpty -w z 'zle -C comptest-widget complete-word _main_complete; bindkey "^T" comptest-widget; compprefuncs=(comptest)'
zpty -w z "model-runner-bridge $words"$'\x14'
zpty -r z first '*<<*>>*'
sleep 0.3
rest=""
while zpty -r -t z chunk; do rest+=$chunk; done
zpty -d z
print -r -- "$first$rest" | grep -o '<<[^>$]*>>' | tr -d '<>' | sort -u
