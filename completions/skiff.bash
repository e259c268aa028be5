# bash completion for skiff                                  -*- shell-script -*-
#
# Install as /usr/share/bash-completion/completions/skiff, or source it from
# ~/.bashrc. It needs nothing from the bash-completion package.
#
# Completes commands and subcommands, each command's flags, image,
# container, volume and network names for commands that take them (from the store a
# --root/--runroot earlier on the line names, else the default one), files
# for `import` and --authfile, and the values of --format, --filter, --type,
# --platform, --storage-driver and the options of `run` and `create`.

# The words of the line as the user typed them. bash splits `name:tag` and
# `--flag=value` at ':' and '='; join those pieces again. Sets `words` and
# `cword`.
_skiff_reassemble_words() {
  words=()
  cword=0
  if [[ -z ${COMP_LINE-} ]]; then
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    return
  fi
  local i w n=-1 pos=0 space
  for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
    w=${COMP_WORDS[i]}
    space=0
    while ((pos < ${#COMP_LINE})) && [[ ${COMP_LINE:pos:1} == [[:space:]] ]]; do
      pos=$((pos + 1))
      space=1
    done
    if ((n >= 0 && !space)) && [[ $w == [:=]* || ${words[n]} == *[:=] ]]; then
      words[n]+=$w
    else
      n=$((n + 1))
      words[n]=$w
    fi
    pos=$((pos + ${#w}))
    ((i == COMP_CWORD)) && cword=$n
  done
  ((cword <= n)) || words[cword]=""
}

# Sets COMPREPLY to the candidates (arguments) that start with $cur. bash
# replaces only the text after the last ':' or '=' of the word, so that part
# of $cur is taken off each reply.
_skiff_reply() {
  local candidate prefix=""
  COMPREPLY=()
  for candidate in "$@"; do
    [[ $candidate == "$cur"* ]] && COMPREPLY+=("$candidate")
  done
  [[ -n ${COMP_LINE-} ]] || return 0
  local i c
  for ((i = ${#cur} - 1; i >= 0; i--)); do
    c=${cur:i:1}
    if [[ ($c == : || $c == =) && ${COMP_WORDBREAKS-} == *"$c"* ]]; then
      prefix=${cur:0:i+1}
      break
    fi
  done
  [[ -n $prefix ]] || return 0
  for i in "${!COMPREPLY[@]}"; do
    COMPREPLY[i]=${COMPREPLY[i]#"$prefix"}
  done
}

# The --platform values docker users type most.
_skiff_reply_platforms() {
  _skiff_reply linux/amd64 linux/arm64 linux/arm64/v8 linux/arm/v7 linux/arm/v6 linux/386 \
    linux/ppc64le linux/s390x linux/riscv64
}

_skiff_nospace() { compopt -o nospace 2>/dev/null; }

# A word as the shell would pass it: quotes removed, a leading ~ expanded.
_skiff_dequote() {
  local w=$1
  if [[ $w == \'*\' || $w == \"*\" ]]; then
    w=${w:1:${#w}-2}
  fi
  [[ $w == "~"* ]] && w=$HOME${w:1}
  printf '%s' "$w"
}

# The store the line names (the same rules as skiff's): used to skip
# listing when there is no store yet, so completion never creates one.
_skiff_store_dir() {
  if [[ -n $skiff_root ]]; then
    printf '%s' "$skiff_root"
  elif [[ -n ${SKIFF_ROOT-} ]]; then
    printf '%s' "$SKIFF_ROOT"
  elif [[ -n ${XDG_DATA_HOME-} ]]; then
    printf '%s' "$XDG_DATA_HOME/skiff"
  else
    printf '%s' "${HOME:-}/.local/share/skiff"
  fi
}

# Runs skiff (the one on the line) against the store the line names.
_skiff_query() {
  local store
  store=$(_skiff_store_dir)
  [[ -d $store/images ]] || return 0
  local -a global=()
  [[ -n $skiff_root ]] && global+=(--root "$skiff_root")
  [[ -n $skiff_runroot ]] && global+=(--runroot "$skiff_runroot")
  "$skiff_bin" "${global[@]}" "$@" 2>/dev/null
}

# Image names (repository:tag), and image IDs when $cur looks like one.
_skiff_complete_images() {
  local -a names=()
  local line
  while IFS= read -r line; do
    [[ -z $line || $line == *"<none>"* ]] && continue
    names+=("$line")
  done < <(_skiff_query images --format '{{.Repository}}:{{.Tag}}')
  if [[ -n $cur && $cur =~ ^(sha256:)?[0-9a-f]*$ ]]; then
    local -a full=()
    [[ $cur == sha256:* ]] && full=(--no-trunc)
    while IFS= read -r line; do
      [[ -n $line && " ${names[*]} " != *" $line "* ]] && names+=("$line")
    done < <(_skiff_query images -q "${full[@]}")
  fi
  _skiff_reply "${names[@]}"
}

# Repositories only (for `skiff images [REPOSITORY[:TAG]]`), then tags.
_skiff_complete_repositories() {
  if [[ $cur == *:* ]]; then
    _skiff_complete_images
    return
  fi
  local -a repos=()
  local line
  while IFS= read -r line; do
    [[ -z $line || $line == "<none>" ]] && continue
    [[ " ${repos[*]} " == *" $line "* ]] || repos+=("$line")
  done < <(_skiff_query images --format '{{.Repository}}')
  _skiff_reply "${repos[@]}"
}

# The capabilities --cap-add and --cap-drop take (capabilities(7)), and ALL.
_skiff_capabilities=(ALL AUDIT_CONTROL AUDIT_READ AUDIT_WRITE BLOCK_SUSPEND BPF CHECKPOINT_RESTORE CHOWN
  DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID IPC_LOCK IPC_OWNER KILL LEASE LINUX_IMMUTABLE MAC_ADMIN
  MAC_OVERRIDE MKNOD NET_ADMIN NET_BIND_SERVICE NET_BROADCAST NET_RAW PERFMON SETFCAP SETGID SETPCAP SETUID
  SYS_ADMIN SYS_BOOT SYS_CHROOT SYS_MODULE SYS_NICE SYS_PACCT SYS_PTRACE SYS_RAWIO SYS_RESOURCE SYS_TIME
  SYS_TTY_CONFIG SYSLOG WAKE_ALARM)

# Container names, and container IDs when $cur looks like one.
# Signal names for --signal and --stop-signal.
_skiff_complete_signals() {
  _skiff_reply SIGTERM SIGKILL SIGINT SIGHUP SIGQUIT SIGUSR1 SIGUSR2 SIGSTOP SIGCONT SIGWINCH
}

_skiff_complete_containers() {
  local -a names=()
  local line
  while IFS= read -r line; do
    [[ -n $line ]] && names+=("$line")
  done < <(_skiff_query ps -a --format '{{.Names}}')
  if [[ -n $cur && $cur =~ ^[0-9a-f]+$ ]]; then
    while IFS= read -r line; do
      [[ -n $line ]] && names+=("$line")
    done < <(_skiff_query ps -a -q)
  fi
  _skiff_reply "${names[@]}"
}

# Volume names.
_skiff_complete_volumes() {
  local -a names=()
  local line
  while IFS= read -r line; do
    [[ -n $line ]] && names+=("$line")
  done < <(_skiff_query volume ls -q)
  _skiff_reply "${names[@]}"
}

# Network names: every one, or with `custom` only the user-defined ones.
_skiff_complete_networks() {
  local -a names=() filter=()
  local line
  [[ ${1-} == custom ]] && filter=(--filter type=custom)
  while IFS= read -r line; do
    [[ -n $line ]] && names+=("$line")
  done < <(_skiff_query network ls "${filter[@]}" --format '{{.Name}}')
  _skiff_reply "${names[@]}"
}

_skiff_complete_files() {
  compopt -o filenames 2>/dev/null
  mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}

# The value of -e/--env (our variables' names: NAME alone passes our value)
# or --env-file, for run, create and exec; false after any other word.
_skiff_complete_env_flag() {
  case $prev in
    -e | --env) mapfile -t COMPREPLY < <(compgen -e -- "$cur") ;;
    --env-file) _skiff_complete_files ;;
    *) return 1 ;;
  esac
}

# The --network modes; container names after container:, slirp's options
# after slirp: (each after the last comma).
_skiff_complete_networks() {
  local -a candidates=()
  local line head
  case $cur in
    container:*)
      while IFS= read -r line; do
        [[ -n $line ]] && candidates+=("container:$line")
      done < <(_skiff_query ps -a --format '{{.Names}}')
      _skiff_reply "${candidates[@]}"
      ;;
    slirp:*)
      head=slirp:
      [[ $cur == *,* ]] && head=${cur%,*},
      _skiff_reply "${head}allow_host_loopback=true" "${head}allow_host_loopback=false" \
        "${head}enable_ipv6=true" "${head}enable_ipv6=false" "${head}mtu="
      _skiff_nospace
      ;;
    *)
      # The modes, and the networks made with `skiff network create`.
      while IFS= read -r line; do
        [[ -n $line && $line != slirp && $line != none && $line != host ]] && candidates+=("$line")
      done < <(_skiff_query network ls --format '{{.Name}}')
      _skiff_reply slirp slirp: none host pasta container: "${candidates[@]}"
      [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]] && _skiff_nospace
      ;;
  esac
}

_skiff_complete_dirs() {
  compopt -o filenames 2>/dev/null
  mapfile -t COMPREPLY < <(compgen -d -- "$cur")
}

_skiff() {
  COMPREPLY=()
  local -a words
  local cword cur prev
  _skiff_reassemble_words
  cur=${words[cword]}
  prev=""
  ((cword > 0)) && prev=${words[cword - 1]}

  # `--flag=value`: complete the value as if it were a separate word.
  if [[ $cur == -*=* ]]; then
    prev=${cur%%=*}
    cur=${cur#*=}
  fi

  local skiff_bin=${words[0]} skiff_root="" skiff_runroot=""
  skiff_bin=$(_skiff_dequote "$skiff_bin")
  [[ $skiff_bin == */* ]] || skiff_bin=skiff

  # Global options, then the command and, for `image`, `system` and
  # `container`, its subcommand. Arguments after them are counted in `nargs`.
  local command="" subcommand="" i w nargs=0
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    if [[ -z $command ]]; then
      case $w in
        --storage-driver)
          i=$((i + 1))
          continue
          ;;
        --root | --runroot)
          if ((i + 1 < cword)); then
            [[ $w == --root ]] && skiff_root=$(_skiff_dequote "${words[i + 1]}")
            [[ $w == --runroot ]] && skiff_runroot=$(_skiff_dequote "${words[i + 1]}")
          fi
          i=$((i + 1))
          continue
          ;;
        --root=*) skiff_root=$(_skiff_dequote "${w#*=}") && continue ;;
        --runroot=*) skiff_runroot=$(_skiff_dequote "${w#*=}") && continue ;;
        -*) continue ;;
      esac
      command=$w
      continue
    fi
    if [[ -z $subcommand && ($command == image || $command == system || $command == container ||
      $command == volume || $command == network || $command == builder) ]]; then
      [[ $w == -* ]] && continue
      subcommand=$w
      continue
    fi
    # `run` and `create`: options (and their values) until IMAGE; every word
    # after IMAGE is the container's command, whatever it looks like. `exec`
    # likewise after CONTAINER.
    case "$command${subcommand:+ $subcommand}" in
      run | create | "container run" | "container create" | exec | "container exec")
        if ((nargs == 0)); then
          # The options that take a value, long and short.
          local valued=" --name -e --env --env-file -w --workdir -u --user --group-add --entrypoint -h --hostname
            -l --label --tmpfs -v --volume --mount --network --net -p --publish --expose --dns --dns-search
            --dns-option --add-host --mac-address --network-alias --net-alias --ip --link --pull --platform
            --cap-add --cap-drop --security-opt --restart --stop-signal --stop-timeout --log-driver --log-opt --detach-keys
            --health-cmd --health-interval --health-timeout --health-start-period --health-retries
            -m --memory --memory-swap --cpus -c --cpu-shares --pids-limit " letters=ewuhlvmcp
          if [[ $command == exec || $subcommand == exec ]]; then
            valued=" -e --env --env-file -w --workdir -u --user --detach-keys " letters=ewu
          fi
          case $w in
            --*)
              [[ $valued == *[[:space:]]$w[[:space:]]* ]] && i=$((i + 1))
              continue
              ;;
            -?*)
              # A group of short flags (-it); one taking a value ends it, the
              # value attached (-eA=1) or in the next word.
              local k
              for ((k = 1; k < ${#w}; k++)); do
                if [[ $letters == *"${w:k:1}"* ]]; then
                  ((k + 1 == ${#w})) && i=$((i + 1))
                  break
                fi
              done
              continue
              ;;
          esac
        fi
        nargs=$((nargs + 1))
        continue
        ;;
    esac
    # Skip the value of a flag that takes one.
    case $w in
      -f | --filter | --format | -c | --change | -m | --message | --platform | --type | -n | --last | -o | --output | \
        -i | --input | -u | --username | -p | --password | --authfile | --limit | --tail | --since | --until | -d | --driver | --label | --opt | \
        --subnet | --gateway | --alias | --ip | --link)
        case "$command${subcommand:+ $subcommand}:$w" in
          "rmi:-f" | "image rm:-f" | "image remove:-f" | "image prune:-f" | "system reset:-f") ;;
          "volume rm:-f" | "volume remove:-f" | "volume prune:-f") ;;
          "network rm:-f" | "network remove:-f" | "network prune:-f" | "network disconnect:-f") ;;
          "rm:-f" | "container rm:-f" | "container remove:-f") ;;
          "logs:-f" | "container logs:-f") ;;
          "container prune:-f") ;;
          *:-i | *:--input) [[ $command == load || $subcommand == load ]] && i=$((i + 1)) ;;
          *) i=$((i + 1)) ;;
        esac
        continue
        ;;
      -*) continue ;;
    esac
    nargs=$((nargs + 1))
  done

  # Values of global options.
  if [[ -z $command ]]; then
    case $prev in
      --root | --runroot)
        _skiff_complete_dirs
        return
        ;;
      --storage-driver)
        _skiff_reply native fuse-overlayfs vfs
        return
        ;;
    esac
    if [[ $cur == -* ]]; then
      _skiff_reply --root --runroot --storage-driver --version --help -v -h
    else
      _skiff_reply attach build builder commit container cp create diff exec export image history images import info inspect kill load login logout logs network pause port ps pull push rename restart rm rmi run save search start stats stop system tag top unpause version volume wait
    fi
    return
  fi

  # A command group: its subcommands, or the path of the one chosen.
  local path=$command group=
  case $command in
    image) group="ls list build history import inspect pull push tag rm remove prune save load" ;;
    system) group="check info reset" ;;
    container) group="attach commit cp create diff exec export inspect kill list logs ls pause port prune ps remove rename restart rm run start stats stop top unpause wait" ;;
    volume) group="create inspect list ls prune remove rm" ;;
    builder) group="prune" ;;
    network) group="connect create disconnect inspect list ls prune remove rm" ;;
  esac
  if [[ -n $group ]]; then
    if [[ -z $subcommand ]]; then
      if [[ $cur == -* ]]; then
        _skiff_reply --help -h
      else
        # shellcheck disable=SC2086
        _skiff_reply $group
      fi
      return
    fi
    path="$command $subcommand"
  fi

  # Normalise aliases and twins to one name.
  case $path in
    "image ls" | "image list") path=images ;;
    "image import") path=import ;;
    "image history") path=history ;;
    "image build") path=build ;;
    "image pull") path=pull ;;
    "image push") path=push ;;
    "image save") path=save ;;
    "image load") path=load ;;
    "image tag") path=tag ;;
    "image rm" | "image remove") path=rmi ;;
    "system info") path=info ;;
    "container ls" | "container list" | "container ps") path=ps ;;
    "container run") path=run ;;
    "container create") path=create ;;
    "container start") path=start ;;
    "container export") path=export ;;
    "container logs") path=logs ;;
    "container exec") path=exec ;;
    "container cp") path=cp ;;
    "container rm" | "container remove") path=rm ;;
    "container stop") path=stop ;;
    "container kill") path=kill ;;
    "container restart") path=restart ;;
    "container wait") path=wait ;;
    "container rename") path=rename ;;
    "container attach") path=attach ;;
    "container top") path=top ;;
    "container port") path=port ;;
    "container stats") path=stats ;;
    "container diff") path=diff ;;
    "container commit") path=commit ;;
    "container pause") path=pause ;;
    "container unpause") path=unpause ;;
    "volume list") path="volume ls" ;;
    "volume remove") path="volume rm" ;;
    "network list") path="network ls" ;;
    "network remove") path="network rm" ;;
  esac

  local -a flags=()
  case $path in
    images)
      flags=(--all --digests --filter --format --no-trunc --quiet --help -a -f -q -h)
      case $prev in
        -f | --filter)
          case $cur in
            before=* | since=*)
              cur=${cur#*=}
              _skiff_complete_images
              return
              ;;
          esac
          _skiff_reply dangling=true dangling=false reference= label= before= since=
          [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && _skiff_nospace
          return
          ;;
        --format)
          _skiff_reply json table
          return
          ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif ((nargs == 0)); then
        _skiff_complete_repositories
      fi
      ;;
    import)
      flags=(--change --message --platform --help -c -m -h)
      case $prev in
        -c | --change)
          _skiff_reply CMD ENTRYPOINT ENV EXPOSE LABEL ONBUILD STOPSIGNAL USER VOLUME WORKDIR
          return
          ;;
        -m | --message) return ;;
        --platform)
          _skiff_reply_platforms
          return
          ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
        [[ $cur == - ]] && ((nargs == 0)) && COMPREPLY+=(-)
      elif ((nargs == 0)); then
        _skiff_complete_files
      fi
      ;;
    save)
      flags=(--output --format --help -o -h)
      case $prev in
        -o | --output)
          _skiff_complete_files
          return
          ;;
        --format)
          _skiff_reply docker-archive oci-archive
          return
          ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      else
        _skiff_complete_images
      fi
      ;;
    load)
      flags=(--input --quiet --help -i -q -h)
      case $prev in
        -i | --input)
          _skiff_complete_files
          return
          ;;
      esac
      [[ $cur == -* ]] && _skiff_reply "${flags[@]}"
      ;;
    push)
      flags=(--all-tags --authfile --compression-format --compression-level --digestfile --disable-content-trust
        --force-compression --format --quiet --tls-verify --tls-verify=false --help -a -q -h)
      case $prev in
        --compression-format)
          _skiff_reply gzip zstd
          return
          ;;
        --format)
          _skiff_reply oci v2s2
          return
          ;;
        --digestfile | --authfile)
          _skiff_complete_files
          return
          ;;
        --compression-level)
          return
          ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif ((nargs == 0)); then
        _skiff_complete_images
      fi
      ;;
    pull)
      flags=(--platform --quiet --tls-verify --tls-verify=false --help -q -h)
      case $prev in
        --platform)
          _skiff_reply_platforms
          return
          ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif ((nargs == 0)); then
        _skiff_complete_repositories
      fi
      ;;
    login | logout)
      if [[ $path == login ]]; then
        flags=(--username --password --password-stdin --authfile --tls-verify --tls-verify=false --get-login
          --help -u -p -h)
      else
        flags=(--authfile --all --help -a -h)
      fi
      case $prev in
        -u | --username | -p | --password) return ;;
        --authfile)
          _skiff_complete_files
          return
          ;;
      esac
      [[ $cur == -* ]] && _skiff_reply "${flags[@]}"
      ;;
    search)
      flags=(--filter --format --limit --no-trunc --tls-verify --tls-verify=false --help -f -h)
      case $prev in
        --limit) return ;;
        --format)
          _skiff_reply json table
          return
          ;;
        -f | --filter)
          _skiff_reply stars= is-official=true is-official=false is-automated=true is-automated=false
          [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && _skiff_nospace
          return
          ;;
      esac
      [[ $cur == -* ]] && _skiff_reply "${flags[@]}"
      ;;
    inspect | "image inspect" | "container inspect")
      flags=(--format --help -f -h)
      [[ $path == inspect ]] && flags+=(--type)
      [[ $path != "image inspect" ]] && flags+=(--size -s)
      case $prev in
        -f | --format)
          _skiff_reply json
          return
          ;;
        --type)
          if [[ $path == inspect ]]; then
            _skiff_reply image container volume
            return
          fi
          ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif [[ $path == "container inspect" ]]; then
        _skiff_complete_containers
      elif [[ $path == "image inspect" ]]; then
        _skiff_complete_images
      else
        local -a containers images
        _skiff_complete_containers
        containers=("${COMPREPLY[@]}")
        _skiff_complete_images
        images=("${COMPREPLY[@]}")
        COMPREPLY=("${containers[@]}" "${images[@]}")
      fi
      ;;
    ps)
      flags=(--all --filter --format --last --latest --no-trunc --quiet --size --help -a -f -n -l -q -s -h)
      case $prev in
        -f | --filter)
          case $cur in
            ancestor=*)
              cur=${cur#*=}
              _skiff_complete_images
              return
              ;;
            before=* | since=*)
              cur=${cur#*=}
              _skiff_complete_containers
              return
              ;;
          esac
          _skiff_reply status=created status=running status=exited id= name= label= exited= ancestor= \
            before= since= network=slirp network=none network=host volume= health=starting health=healthy health=unhealthy \
            health=none
          [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && _skiff_nospace
          return
          ;;
        --format)
          _skiff_reply json table
          return
          ;;
        -n | --last) return ;;
      esac
      [[ $cur == -* ]] && _skiff_reply "${flags[@]}"
      ;;
    run | create)
      # After IMAGE: the container's command and its arguments.
      ((nargs == 0)) || return 0
      flags=(--help --name --rm --env --env-file --workdir --user --group-add --entrypoint --hostname --label
        --read-only --tmpfs --volume --mount --interactive --tty --init --network --net --publish --publish-all
        --expose --dns --dns-search --dns-option --add-host --mac-address --network-alias --net-alias --ip --link
        -p -P --pull --platform --cap-add --cap-drop --privileged --security-opt --restart --stop-signal --stop-timeout --log-driver --log-opt -e -w -u -h -l -v -i -t
        --health-cmd --health-interval --health-timeout --health-start-period --health-retries --no-healthcheck
        --memory --memory-swap --cpus --cpu-shares --pids-limit -m -c)
      [[ $path == run ]] && flags+=(--detach --detach-keys -d)
      _skiff_complete_env_flag && return
      case $prev in
        --name | -w | --workdir | -u | --user | --group-add | --entrypoint | -h | --hostname | -l | --label | \
          --tmpfs)
          return
          ;;
        -v | --volume)
          # HOST (an absolute path) or a volume's NAME first; after the ':'
          # the container's path.
          [[ $cur == *:* ]] && return
          if [[ $cur == [/.~]* ]]; then
            _skiff_complete_files
            return
          fi
          local -a volumes
          _skiff_complete_volumes
          volumes=("${COMPREPLY[@]}")
          _skiff_complete_files
          COMPREPLY=("${volumes[@]}" "${COMPREPLY[@]}")
          return
          ;;
        --mount)
          # After source= of a volume mount (the default type): its name.
          if [[ ${cur##*,} == source=* || ${cur##*,} == src=* ]] && [[ $cur != *type=bind* && $cur != *type=tmpfs* ]]; then
            cur=${cur##*=}
            _skiff_complete_volumes
            return
          fi
          [[ $cur == *,* ]] && return
          _skiff_reply type=bind, type=volume, type=tmpfs,
          _skiff_nospace
          return
          ;;
        --network | --net)
          _skiff_complete_networks
          return
          ;;
        -p | --publish | --expose | --dns | --dns-search | --dns-option | --mac-address | --network-alias | \
          --net-alias | --ip)
          return
          ;;
        --link)
          # NAME[:ALIAS]: the containers.
          [[ $cur == *:* ]] && return
          while IFS= read -r line; do
            [[ -n $line ]] && COMPREPLY+=("$line")
          done < <(_skiff_query ps -a --format '{{.Names}}')
          mapfile -t COMPREPLY < <(compgen -W "${COMPREPLY[*]}" -- "$cur")
          return
          ;;
        --add-host)
          # NAME:IP; after the ':' the host itself is a choice.
          [[ $cur == *:* ]] && _skiff_reply "${cur%%:*}:host-gateway"
          return
          ;;
        --log-driver)
          _skiff_reply json-file none
          return
          ;;
        --log-opt)
          _skiff_reply max-size= max-file=
          _skiff_nospace
          return
          ;;
        --pull)
          _skiff_reply missing always never
          return
          ;;
        --restart)
          _skiff_reply no on-failure always unless-stopped
          return
          ;;
        --stop-signal)
          _skiff_complete_signals
          return
          ;;
        --stop-timeout | --detach-keys | --health-cmd | --health-interval | --health-timeout | --health-start-period | \
          --health-retries)
          return
          ;;
        -m | --memory | --memory-swap | --cpus | -c | --cpu-shares | --pids-limit)
          return
          ;;
        --platform)
          _skiff_reply_platforms
          return
          ;;
        --cap-add | --cap-drop)
          _skiff_reply "${_skiff_capabilities[@]}"
          return
          ;;
        --security-opt)
          if [[ $cur == seccomp=* && $cur != seccomp=u* ]]; then
            cur=${cur#seccomp=}
            _skiff_complete_files
            return
          fi
          _skiff_reply seccomp=unconfined seccomp= no-new-privileges no-new-privileges=true \
            no-new-privileges=false label= apparmor=
          [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && _skiff_nospace
          return
          ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      else
        _skiff_complete_images
      fi
      ;;
    stop | restart)
      flags=(--time --timeout --signal --help -t -s -h)
      case $prev in
        -t | --time | --timeout) return ;;
        -s | --signal)
          _skiff_complete_signals
          return
          ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      else
        _skiff_complete_containers
      fi
      ;;
    kill)
      flags=(--signal --help -s -h)
      if [[ $prev == -s || $prev == --signal ]]; then
        _skiff_complete_signals
      elif [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      else
        _skiff_complete_containers
      fi
      ;;
    wait)
      flags=(--help -h)
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      else
        _skiff_complete_containers
      fi
      ;;
    rename)
      flags=(--help -h)
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif ((nargs < 1)); then
        _skiff_complete_containers
      fi
      ;;
    attach)
      flags=(--no-stdin --sig-proxy --detach-keys --help -h)
      case $prev in
        --detach-keys) return ;;
        --sig-proxy)
          _skiff_reply true false
          return
          ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      else
        _skiff_complete_containers
      fi
      ;;
    start)
      flags=(--attach --interactive --help -a -i -h)
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      else
        _skiff_complete_containers
      fi
      ;;
    exec)
      # After CONTAINER: the command and its arguments.
      ((nargs == 0)) || return 0
      flags=(--interactive --tty --detach --env --env-file --workdir --user --privileged --detach-keys --help
        -i -t -d -e -w -u -h)
      _skiff_complete_env_flag && return
      case $prev in
        -w | --workdir | -u | --user | --detach-keys) return ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      else
        _skiff_complete_containers
      fi
      ;;
    cp)
      flags=(--archive --follow-link --quiet --help -a -L -q -h)
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif [[ $cur == *:* || $cur == /* || $cur == .* ]]; then
        # A host path, or a path inside a container: nothing to offer there.
        [[ $cur == *:* ]] || _skiff_complete_files
      else
        # CONTAINER: (then its path) or a host path.
        local name
        _skiff_complete_containers
        local -a containers=("${COMPREPLY[@]}")
        _skiff_complete_files
        for name in "${containers[@]}"; do COMPREPLY+=("$name:"); done
        _skiff_nospace
      fi
      ;;
    export)
      flags=(--output --help -o -h)
      if [[ $prev == -o || $prev == --output ]]; then
        _skiff_complete_files
        return
      fi
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif ((nargs == 0)); then
        _skiff_complete_containers
      fi
      ;;
    logs)
      flags=(--follow --tail --since --until --timestamps --details --help -f -n -t -h)
      case $prev in
        -n | --tail)
          _skiff_reply all 10 100
          return
          ;;
        --since | --until) return ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif ((nargs == 0)); then
        _skiff_complete_containers
      fi
      ;;
    rm)
      flags=(--all --force --volumes --help -a -f -v -h)
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      else
        _skiff_complete_containers
      fi
      ;;
    tag)
      flags=(--help -h)
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif ((nargs < 2)); then
        _skiff_complete_images
      fi
      ;;
    rmi)
      flags=(--force --no-prune --help -f -h)
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      else
        _skiff_complete_images
      fi
      ;;
    "builder prune")
      flags=(--all --force --help -a -f -h)
      [[ $cur == -* ]] && _skiff_reply "${flags[@]}"
      ;;
    "image prune" | "volume prune")
      flags=(--all --filter --force --help -a -f -h)
      if [[ $prev == --filter ]]; then
        if [[ $path == "image prune" ]]; then
          _skiff_reply until= label= label!=
        else
          _skiff_reply label= label!= all=true
        fi
        [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && _skiff_nospace
        return
      fi
      [[ $cur == -* ]] && _skiff_reply "${flags[@]}"
      ;;
    info | version)
      flags=(--format --help -f -h)
      if [[ $prev == -f || $prev == --format ]]; then
        _skiff_reply json
        return
      fi
      [[ $cur == -* ]] && _skiff_reply "${flags[@]}"
      ;;
    "system reset")
      flags=(--force --help -f -h)
      [[ $cur == -* ]] && _skiff_reply "${flags[@]}"
      ;;
    "system check")
      flags=(--repair --help -r -h)
      [[ $cur == -* ]] && _skiff_reply "${flags[@]}"
      ;;
    "volume create")
      flags=(--driver --label --opt --help -d -o -h)
      case $prev in
        -d | --driver)
          _skiff_reply local
          return
          ;;
        --label | -o | --opt) return ;;
      esac
      [[ $cur == -* ]] && _skiff_reply "${flags[@]}"
      ;;
    "volume ls" | "network ls")
      flags=(--filter --format --quiet --help -f -q -h)
      local -a filters=(dangling=true dangling=false driver=local label= name=)
      if [[ $path == "network ls" ]]; then
        flags+=(--no-trunc)
        filters=(dangling=true dangling=false driver=bridge driver=slirp driver=host driver=null id= label= name=
          type=builtin type=custom)
      fi
      case $prev in
        -f | --filter)
          _skiff_reply "${filters[@]}"
          [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && _skiff_nospace
          return
          ;;
        --format)
          _skiff_reply json table
          return
          ;;
      esac
      [[ $cur == -* ]] && _skiff_reply "${flags[@]}"
      ;;
    "volume inspect" | "volume rm" | "network inspect" | "network rm")
      flags=(--help -h)
      if [[ $path == *inspect ]]; then
        flags+=(--format -f)
        if [[ $prev == -f || $prev == --format ]]; then
          _skiff_reply json
          return
        fi
      else
        flags+=(--force -f)
      fi
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif [[ $path == volume* ]]; then
        _skiff_complete_volumes
      elif [[ $path == "network inspect" ]]; then
        _skiff_complete_networks
      else
        _skiff_complete_networks custom
      fi
      ;;
    "network create")
      flags=(--driver --subnet --gateway --internal --label --opt --attachable --ignore --help -d -o -h)
      case $prev in
        -d | --driver)
          _skiff_reply bridge
          return
          ;;
        -o | --opt)
          _skiff_reply com.docker.network.driver.mtu=
          _skiff_nospace
          return
          ;;
        --subnet | --gateway | --label) return ;;
      esac
      [[ $cur == -* ]] && _skiff_reply "${flags[@]}"
      ;;
    "network connect" | "network disconnect")
      if [[ $path == "network connect" ]]; then
        flags=(--alias --ip --link --help -h)
        case $prev in
          --alias | --ip) return ;;
          --link)
            _skiff_complete_containers
            return
            ;;
        esac
      else
        flags=(--force --help -f -h)
      fi
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif ((nargs == 0)); then
        _skiff_complete_networks custom
      elif ((nargs == 1)); then
        _skiff_complete_containers
      fi
      ;;
    top)
      # After CONTAINER: options for ps.
      flags=(--help -h)
      if ((nargs == 0)); then
        if [[ $cur == -* ]]; then
          _skiff_reply "${flags[@]}"
        else
          _skiff_complete_containers
        fi
      fi
      ;;
    port)
      flags=(--help -h)
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif ((nargs == 0)); then
        _skiff_complete_containers
      fi
      ;;
    build)
      flags=(--build-arg --file --iidfile --label --network --no-cache --platform --pull --quiet --tag --target --help -f -q -t -h)
      case $prev in
        -f | --file | --iidfile)
          _skiff_complete_files
          return
          ;;
        --network)
          _skiff_reply default none host
          return
          ;;
        --platform)
          _skiff_reply_platforms
          return
          ;;
        -t | --tag)
          _skiff_complete_repositories
          return
          ;;
        --build-arg | --label | --target) return ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif ((nargs == 0)); then
        _skiff_complete_dirs
      fi
      ;;
    commit)
      flags=(--author --change --message --pause --help -a -c -m -p -h)
      case $prev in
        -c | --change)
          _skiff_reply CMD ENTRYPOINT ENV EXPOSE LABEL ONBUILD STOPSIGNAL USER VOLUME WORKDIR
          return
          ;;
        -a | --author | -m | --message) return ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif ((nargs == 0)); then
        _skiff_complete_containers
      elif ((nargs == 1)); then
        _skiff_complete_repositories
      fi
      ;;
    history)
      flags=(--format --human --no-trunc --quiet --help -H -q -h)
      case $prev in
        --format)
          _skiff_reply json table
          return
          ;;
      esac
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif ((nargs == 0)); then
        _skiff_complete_images
      fi
      ;;
    diff)
      flags=(--help -h)
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      elif ((nargs == 0)); then
        _skiff_complete_containers
      fi
      ;;
    pause | unpause)
      flags=(--help -h)
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      else
        _skiff_complete_containers
      fi
      ;;
    stats)
      flags=(--all --format --no-stream --no-trunc --help -a -h)
      if [[ $prev == --format ]]; then
        _skiff_reply json table
        return
      fi
      if [[ $cur == -* ]]; then
        _skiff_reply "${flags[@]}"
      else
        _skiff_complete_containers
      fi
      ;;
    "container prune" | "network prune")
      flags=(--filter --force --help -f -h)
      if [[ $prev == --filter ]]; then
        _skiff_reply until= label= label!=
        _skiff_nospace
        return
      fi
      [[ $cur == -* ]] && _skiff_reply "${flags[@]}"
      ;;
  esac
  return 0
}

complete -F _skiff skiff
