//! JSON codec (placeholder until the codec lands).
use super::{CodecError, Type, Value};

pub fn decode(_bytes: &[u8], _ty: &Type) -> Result<Value, CodecError> {
    Err(CodecError::root("JSON codec not implemented yet"))
}

pub fn encode(_value: &Value, _ty: &Type) -> Result<Vec<u8>, CodecError> {
    Err(CodecError::root("JSON codec not implemented yet"))
}
