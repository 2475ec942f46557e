# SPDX-License-Identifier: MIT
# bash completion for sluicectl(8).  The words follow the command tables in
# tools/sluicectl/ (tests/system/test_sluicectl.py checks that they do).
# Agent names and session ids are asked from the relay when it answers.

_sluicectl()
{
	local cur prev words cword
	_init_completion || return

	local objects="status agent device session reload cert"
	local i obj="" verb="" nargs=0 opts=()

	for ((i = 1; i < cword; i++)); do
		case "${words[i]}" in
		-c | -f | -t)
			opts+=("${words[i]}" "${words[i + 1]}")
			((i++))
			;;
		-j | --json) ;;
		-*) ;;
		*)
			if [[ -z $obj ]]; then
				obj=${words[i]}
			elif [[ -z $verb ]]; then
				verb=${words[i]}
			else
				((nargs++))
			fi
			;;
		esac
	done

	case "$prev" in
	-c | -f)
		_filedir conf
		return
		;;
	-t)
		return
		;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "-c -j -t -v -h --help --json" -- "$cur"))
		return
	fi
	if [[ -z $obj ]]; then
		COMPREPLY=($(compgen -W "$objects" -- "$cur"))
		return
	fi
	if [[ -z $verb ]]; then
		case "$obj" in
		agent) COMPREPLY=($(compgen -W "list show detach" -- "$cur")) ;;
		device) COMPREPLY=($(compgen -W "list" -- "$cur")) ;;
		session) COMPREPLY=($(compgen -W "list show kill" -- "$cur")) ;;
		cert) COMPREPLY=($(compgen -W "show" -- "$cur")) ;;
		esac
		return
	fi
	((nargs == 0)) || return
	case "$obj $verb" in
	"agent show" | "agent detach" | "device list")
		COMPREPLY=($(compgen -W "$(sluicectl "${opts[@]}" -j -t 2 agent list 2>/dev/null |
			grep -o '"name":"[^"]*"' | cut -d'"' -f4)" -- "$cur"))
		;;
	"session show" | "session kill")
		COMPREPLY=($(compgen -W "$(sluicectl "${opts[@]}" -j -t 2 session list 2>/dev/null |
			grep -o '"id":"[^"]*"' | cut -d'"' -f4)" -- "$cur"))
		;;
	esac
} && complete -F _sluicectl sluicectl
