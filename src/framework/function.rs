//! Provider functions (terraform's `provider::NAME::FUNCTION(...)`, plugin
//! protocol 5.5, terraform 1.8 and later): pure computations on their
//! arguments. A function declares its signature as data, which the protocol
//! layer announces and uses to decode arguments and encode the result; the
//! engine checks the arguments against it before `call` runs. Functions see
//! no configured client: terraform may call them before configure.

use crate::value::{Type, Value};

/// One positional parameter: its name (what terraform's errors call it),
/// cty type and a Markdown description for the docs and language servers.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: &'static str,
    pub ty: Type,
    pub description: &'static str,
}

/// Why a call failed: `message` says what is expected, and `argument` is
/// the index of the parameter at fault, when one is (terraform then names
/// it in its error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    pub message: String,
    pub argument: Option<usize>,
}

impl FunctionError {
    /// A problem with the argument at `index`.
    pub fn argument(index: usize, message: impl Into<String>) -> Self {
        FunctionError {
            message: message.into(),
            argument: Some(index),
        }
    }

    /// A problem with the call as a whole (an unknown function, a bug).
    pub fn call(message: impl Into<String>) -> Self {
        FunctionError {
            message: message.into(),
            argument: None,
        }
    }
}

/// A provider function. Implement it for each function and register it
/// with [`Provider::with_function`](super::Provider::with_function).
pub trait Function: Send + Sync {
    /// The name after `provider::NAME::`.
    fn name(&self) -> &str;
    /// One line for the function list.
    fn summary(&self) -> &str;
    /// Markdown: what the function is for and what it returns.
    fn description(&self) -> &str;
    fn parameters(&self) -> &[Parameter];
    fn return_type(&self) -> Type;
    /// Runs the function. The engine has already checked that there is one
    /// known, non-null argument per parameter, of its type.
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}

/// Refuses a call with the wrong number of arguments (terraform checks
/// this itself; a mismatch means a bug on one side). Callers that decode
/// arguments per parameter check it first.
pub fn check_arity(function: &dyn Function, count: usize) -> Result<(), FunctionError> {
    let expected = function.parameters().len();
    if count == expected {
        return Ok(());
    }
    Err(FunctionError::call(format!(
        "{} takes {expected} argument(s), got {count}",
        function.name()
    )))
}

/// Checks the arguments against `function`'s parameters, then calls it.
/// Terraform never sends null or unknown arguments to parameters that do
/// not allow them (none here do), so those are refused as bugs rather than
/// handed to the function.
pub fn call(function: &dyn Function, args: &[Value]) -> Result<Value, FunctionError> {
    check_arity(function, args.len())?;
    let params = function.parameters();
    for (i, (param, arg)) in params.iter().zip(args).enumerate() {
        if arg.is_null() {
            return Err(FunctionError::argument(
                i,
                format!("{} must not be null", param.name),
            ));
        }
        if !arg.is_wholly_known() {
            return Err(FunctionError::argument(
                i,
                format!("{} must be known", param.name),
            ));
        }
    }
    let result = function.call(args)?;
    if !result.conforms_to(&function.return_type()) {
        return Err(FunctionError::call(format!(
            "{} produced a value that does not match its return type; this is a bug in the \
             provider, please report it",
            function.name()
        )));
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `echo(text)`: its argument back; "boom" fails on argument 0.
    struct Echo;

    impl Function for Echo {
        fn name(&self) -> &str {
            "echo"
        }
        fn summary(&self) -> &str {
            "Echoes"
        }
        fn description(&self) -> &str {
            "Returns its argument."
        }
        fn parameters(&self) -> &[Parameter] {
            const P: &[Parameter] = &[Parameter {
                name: "text",
                ty: Type::String,
                description: "Anything.",
            }];
            P
        }
        fn return_type(&self) -> Type {
            Type::String
        }
        fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
            match args[0].as_str() {
                Some("boom") => Err(FunctionError::argument(0, "not boom")),
                Some("bug") => Ok(Value::Bool(true)),
                _ => Ok(args[0].clone()),
            }
        }
    }

    #[test]
    fn arguments_are_checked_before_the_call() {
        let hi = Value::string("hi");
        assert_eq!(call(&Echo, std::slice::from_ref(&hi)), Ok(hi.clone()));
        let cases: [(Vec<Value>, Option<usize>); 5] = [
            (vec![], None),
            (vec![hi.clone(), hi.clone()], None),
            (vec![Value::Null], Some(0)),
            (vec![Value::Unknown], Some(0)),
            (vec![Value::string("boom")], Some(0)),
        ];
        for (args, argument) in cases {
            let err = call(&Echo, &args).expect_err("refused");
            assert_eq!(err.argument, argument, "{args:?}: {err:?}");
        }
    }

    #[test]
    fn a_result_of_the_wrong_type_is_a_bug_not_an_answer() {
        let err = call(&Echo, &[Value::string("bug")]).unwrap_err();
        assert_eq!(err.argument, None);
        assert!(err.message.contains("bug in the provider"), "{err:?}");
    }
}
