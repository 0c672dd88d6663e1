# Sourced by the setup scripts: install_missing NAME PACKAGE... installs the
# Debian packages among PACKAGE... that are not installed yet (with sudo when
# not root), saying so as NAME; does nothing when all are there.
install_missing() {
  local name=$1
  shift
  local missing=() p sudo=
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "$name: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
