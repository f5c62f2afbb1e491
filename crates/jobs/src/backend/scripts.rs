//! The Lua scripts of the backend, loaded once (redis-rs sends EVALSHA and
//! falls back to EVAL after a Redis restart).

use std::sync::LazyLock;

use redis::Script;

macro_rules! script {
    ($name:ident, $file:literal) => {
        pub static $name: LazyLock<Script> =
            LazyLock::new(|| Script::new(include_str!(concat!("lua/", $file))));
    };
}

script!(PUSH, "push.lua");
script!(FETCH, "fetch.lua");
script!(ACK, "ack.lua");
script!(HEARTBEAT, "heartbeat.lua");
script!(RELEASE, "release.lua");
script!(CLOSE, "close.lua");
