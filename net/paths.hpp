// paths: the default data dir, overlayd socket path and WireGuard UAPI
// socket dir on Linux (mechanics.md 1, ipc_contract.md 1.2-1.3). The main
// daemon derives the same paths with the same rules, so both sides must agree
// without talking to each other. Pure functions: the caller reads the
// environment and euid, which keeps these testable.
#pragma once

#include <string>

namespace overlayd::net {

// $ZLAYER_DATA_DIR if non-empty; else root -> /var/lib/zlayer; else
// $HOME/.zlayer (/var/lib/zlayer/.zlayer when HOME is empty or unset).
std::string default_data_dir(const std::string& zlayer_data_dir_env, bool is_root,
                             const std::string& home_env);

// /var/run/zlayer-overlayd.sock for the platform default data dir;
// else <data_dir>/run/zlayer-overlayd.sock (joined like Rust's PathBuf::join,
// so a trailing slash is not doubled) if it fits sun_path (<= 103 bytes);
// else /tmp/zlayer-overlayd-<fnv1a64(data_dir, "overlayd") as 16 hex>.sock.
// `platform_default_data_dir` is computed without $ZLAYER_DATA_DIR.
std::string default_socket_path_for(const std::string& data_dir,
                                    const std::string& platform_default_data_dir);

// /var/run/wireguard for the platform default data dir; else
// <data_dir>/run/wireguard if <= 82 bytes (room for "/<15-byte ifname>.sock"
// within 103); else /tmp/zlayer-wg-<fnv1a64(data_dir, "wg") as 16 hex>.
std::string default_uapi_dir_for(const std::string& data_dir,
                                 const std::string& platform_default_data_dir);

} // namespace overlayd::net
