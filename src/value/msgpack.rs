//! msgpack codec (placeholder until the codec lands).
