//! The exit status of a run.

use std::process::ExitCode;

/// The exit code of a run: 0 for success and for a reader that closed our
/// stdout (nothing is wrong with us then, as for `head`), 1 with the error
/// on stderr otherwise. Usage errors never get here: clap exits with 2.
///
/// The broken pipe is found anywhere in the error's chain of causes, so
/// library errors that keep the `io::Error` as their source count too.
pub fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    let Err(error) = result else {
        return ExitCode::SUCCESS;
    };
    let closed_output = error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if closed_output {
        return ExitCode::SUCCESS;
    }
    tracing::error!("{error:#}");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[derive(Debug)]
    struct Wrapped(io::Error);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("writing output")
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_closed_reader_is_success_wherever_it_is_in_the_chain() {
        let pipe = || io::Error::from(io::ErrorKind::BrokenPipe);
        assert_eq!(exit_code(Err(pipe().into())), ExitCode::SUCCESS);
        let wrapped = anyhow::Error::new(Wrapped(pipe())).context("tailing");
        assert_eq!(exit_code(Err(wrapped)), ExitCode::SUCCESS);
        let other = anyhow::Error::new(Wrapped(io::Error::from(io::ErrorKind::NotFound)));
        assert_eq!(exit_code(Err(other)), ExitCode::FAILURE);
    }
}
