//! A panic in one request must not take the server down: [`CatchPanic`] wraps the service so
//! that a panicking handler answers its request with an internal error (naming the method and
//! the panic) and the server goes on serving. Work on blocking threads is covered already: a
//! panic there comes back as the join handle's error.
//!
//! The same wrapper sees that every request is answered: tower-lsp-server drops its
//! "method not found" for methods starting with `$/`, which the protocol allows for
//! notifications only; a request (it has an id) gets the error.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::FutureExt;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Request, Response};
use tower_service::Service;

pub struct CatchPanic<S>(pub S);

type Answer<E> = Result<Option<Response>, E>;

impl<S> Service<Request> for CatchPanic<S>
where
    S: Service<Request, Response = Option<Response>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Answer<S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let id = request.id().cloned();
        let method = request.method().to_string();
        let called = std::panic::catch_unwind(AssertUnwindSafe(|| self.0.call(request)));
        Box::pin(async move {
            let outcome = match called {
                Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
                Err(panic) => Err(panic),
            };
            let outcome = match (outcome, &id) {
                (Ok(Ok(None)), Some(id)) => Ok(Ok(Some(Response::from_error(
                    id.clone(),
                    Error {
                        code: ErrorCode::MethodNotFound,
                        message: format!("method not found: {method}").into(),
                        data: None,
                    },
                )))),
                (outcome, _) => outcome,
            };
            outcome.unwrap_or_else(|panic| {
                let message = panic_message(panic.as_ref());
                eprintln!("refhound: {method} panicked: {message}");
                // A notification has no one to answer; the log line is its report.
                Ok(id.map(|id| {
                    Response::from_error(
                        id,
                        Error {
                            code: ErrorCode::InternalError,
                            message: format!("refhound: {method} failed: {message}").into(),
                            data: None,
                        },
                    )
                }))
            })
        })
    }
}

/// The text a panic was raised with.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use tower_lsp_server::jsonrpc::Id;

    /// Panics on `boom`, answers `null` otherwise.
    struct Fragile;

    impl Service<Request> for Fragile {
        type Response = Option<Response>;
        type Error = Infallible;
        type Future = Pin<Box<dyn Future<Output = Answer<Infallible>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: Request) -> Self::Future {
            Box::pin(async move {
                if request.method() == "boom" {
                    panic!("the handler broke");
                }
                Ok(request
                    .id()
                    .cloned()
                    .map(|id| Response::from_ok(id, serde_json::Value::Null)))
            })
        }
    }

    #[tokio::test]
    async fn a_panicking_request_gets_an_internal_error_and_the_next_one_an_answer() {
        let mut service = CatchPanic(Fragile);
        let boom = Request::build("boom").id(1).finish();
        let answer = service.call(boom).await.unwrap().unwrap();
        let (id, result) = answer.into_parts();
        assert_eq!(id, Id::Number(1));
        let error = result.unwrap_err();
        assert_eq!(error.code, ErrorCode::InternalError);
        assert!(error.message.contains("boom failed: the handler broke"));

        let fine = Request::build("fine").id(2).finish();
        let answer = service.call(fine).await.unwrap().unwrap();
        assert!(answer.is_ok());

        let notification = Request::build("boom").finish();
        assert_eq!(service.call(notification).await.unwrap(), None);
    }

    /// Answers nothing, as tower-lsp-server does for an unknown `$/` method.
    struct Silent;

    impl Service<Request> for Silent {
        type Response = Option<Response>;
        type Error = Infallible;
        type Future = Pin<Box<dyn Future<Output = Answer<Infallible>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request) -> Self::Future {
            Box::pin(async { Ok(None) })
        }
    }

    #[tokio::test]
    async fn a_request_left_unanswered_gets_method_not_found_and_a_notification_nothing() {
        let mut service = CatchPanic(Silent);
        let request = Request::build("$/unknown").id(3).finish();
        let (id, result) = service.call(request).await.unwrap().unwrap().into_parts();
        assert_eq!(id, Id::Number(3));
        assert_eq!(result.unwrap_err().code, ErrorCode::MethodNotFound);
        let notification = Request::build("$/unknown").finish();
        assert_eq!(service.call(notification).await.unwrap(), None);
    }
}
