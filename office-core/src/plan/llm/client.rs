//! The transport: one chat-completions request, with connect and reply timeouts and
//! retries (exponential backoff, `Retry-After` honoured and capped) on 429, 5xx and
//! failed connections. The API key goes into the `Authorization` header and nowhere
//! else: not into errors, logs or anything the job keeps.

use crate::config::{ApiKey, LlmConfig};
use crate::job::ErrorCode;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Message {
    pub role: String,
    pub content: String,
}

impl Message {
    pub(crate) fn system(content: impl Into<String>) -> Self {
        Message {
            role: "system".into(),
            content: content.into(),
        }
    }

    pub(crate) fn user(content: impl Into<String>) -> Self {
        Message {
            role: "user".into(),
            content: content.into(),
        }
    }

    pub(crate) fn assistant(content: impl Into<String>) -> Self {
        Message {
            role: "assistant".into(),
            content: content.into(),
        }
    }
}

/// Token counts as the server reports them (`usage`); servers that report none leave
/// them empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct Usage {
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub total_tokens: Option<u64>,
}

/// The model's answer and what it took to get it.
#[derive(Debug, Clone)]
pub(crate) struct ChatReply {
    pub content: String,
    /// `stop`, `length` (the reply was cut), ...
    pub finish_reason: Option<String>,
    pub usage: Usage,
    pub latency: Duration,
    pub tries: u32,
}

/// Why no answer came back. `code` is a stable slug that becomes the job's error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct TransportError {
    pub code: ErrorCode,
    pub message: String,
    /// Tries made before giving up.
    pub tries: u32,
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [Message],
    stream: bool,
}

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: Option<ReplyMessage>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ReplyMessage {
    content: Option<String>,
}

/// A chat-completions client for one endpoint and model.
pub(crate) struct ChatClient {
    http: reqwest::Client,
    url: String,
    model: String,
    api_key: Option<ApiKey>,
    retries: u32,
    max_retry_wait: Duration,
    timeout: Duration,
}

/// First pause before a retry; doubled each time.
const BACKOFF_START: Duration = Duration::from_millis(500);
/// How much of an error body is quoted back.
const BODY_QUOTE_CHARS: usize = 300;

impl ChatClient {
    pub(crate) fn new(config: &LlmConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("office/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up the HTTP client for the model: {e}"))?;
        Ok(ChatClient {
            http,
            url: format!("{}/chat/completions", config.base_url.trim_end_matches('/')),
            model: config.model.clone(),
            api_key: config.api_key.clone(),
            retries: config.retries,
            max_retry_wait: config.max_retry_wait,
            timeout: config.timeout,
        })
    }

    /// Sends the conversation and returns the first choice's text.
    pub(crate) async fn chat(&self, messages: &[Message]) -> Result<ChatReply, TransportError> {
        let body = ChatRequest {
            model: &self.model,
            messages,
            stream: false,
        };
        let started = Instant::now();
        let mut tries = 0;
        loop {
            tries += 1;
            let last_try = tries > self.retries;
            let mut request = self.http.post(&self.url).json(&body);
            if let Some(key) = &self.api_key {
                request = request.bearer_auth(key.expose());
            }
            let failure = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        return self.read_reply(response, started, tries).await;
                    }
                    let wait = retry_after(response.headers(), self.max_retry_wait);
                    let text = response.text().await.unwrap_or_default();
                    let retryable = status.as_u16() == 429 || status.is_server_error();
                    let error = self.status_error(status.as_u16(), &text, tries);
                    if !retryable || last_try {
                        return Err(error);
                    }
                    (error, wait)
                }
                Err(e) if e.is_timeout() => {
                    // A reply that takes longer than the limit would most likely do so
                    // again: give up rather than spend the limit several times over.
                    return Err(TransportError {
                        code: ErrorCode::LlmTimeout,
                        message: format!(
                            "the model at {} did not answer within {} seconds \
                             (OFFICE_LLM_TIMEOUT_SECS)",
                            self.url,
                            self.timeout.as_secs()
                        ),
                        tries,
                    });
                }
                Err(e) => {
                    let error = TransportError {
                        code: ErrorCode::LlmUnreachable,
                        message: format!(
                            "cannot reach the model at {}: {}",
                            self.url,
                            error_chain(&e)
                        ),
                        tries,
                    };
                    if last_try {
                        return Err(error);
                    }
                    (error, None)
                }
            };
            let (error, wait) = failure;
            let backoff = BACKOFF_START
                .saturating_mul(1 << (tries - 1).min(16))
                .min(self.max_retry_wait);
            let pause = wait.unwrap_or(backoff);
            tracing::warn!(
                url = %self.url, try_number = tries, pause_ms = pause.as_millis() as u64,
                error = %error.message, "model request failed; retrying"
            );
            tokio::time::sleep(pause).await;
        }
    }

    async fn read_reply(
        &self,
        response: reqwest::Response,
        started: Instant,
        tries: u32,
    ) -> Result<ChatReply, TransportError> {
        let bad = |why: String| TransportError {
            code: ErrorCode::LlmBadReply,
            message: format!("the model at {} answered, but {why}", self.url),
            tries,
        };
        let bytes = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                TransportError {
                    code: ErrorCode::LlmTimeout,
                    message: format!(
                        "the model at {} did not finish its answer within {} seconds \
                         (OFFICE_LLM_TIMEOUT_SECS)",
                        self.url,
                        self.timeout.as_secs()
                    ),
                    tries,
                }
            } else {
                bad(format!("the answer could not be read: {}", error_chain(&e)))
            }
        })?;
        let parsed: ChatResponse = serde_json::from_slice(&bytes).map_err(|e| {
            bad(format!(
                "not with chat-completions JSON ({e}): {}",
                quote(&String::from_utf8_lossy(&bytes))
            ))
        })?;
        let usage = parsed.usage.unwrap_or_default();
        let Some(choice) = parsed.choices.into_iter().next() else {
            return Err(bad("with no choices".into()));
        };
        Ok(ChatReply {
            content: choice.message.and_then(|m| m.content).unwrap_or_default(),
            finish_reason: choice.finish_reason,
            usage,
            latency: started.elapsed(),
            tries,
        })
    }

    fn status_error(&self, status: u16, body: &str, tries: u32) -> TransportError {
        let detail = quote(&self.scrub(body));
        let (code, message) = match status {
            401 | 403 => (
                ErrorCode::LlmUnauthorized,
                format!(
                    "the model at {} refused the request ({status}): check OFFICE_LLM_API_KEY \
                     (or OPENAI_API_KEY); it answered: {detail}",
                    self.url
                ),
            ),
            404 => (
                ErrorCode::LlmNotFound,
                format!(
                    "the model endpoint {} answered 404: check OFFICE_LLM_BASE_URL (it \
                     usually ends in /v1) and that the model '{}' exists there; it answered: \
                     {detail}",
                    self.url, self.model
                ),
            ),
            429 => (
                ErrorCode::LlmRateLimited,
                format!(
                    "the model at {} kept answering 429 (too many requests) after {tries} \
                     tries; it answered: {detail}",
                    self.url
                ),
            ),
            _ => (
                ErrorCode::LlmError,
                format!(
                    "the model at {} answered {status}; it answered: {detail}",
                    self.url
                ),
            ),
        };
        TransportError {
            code,
            message,
            tries,
        }
    }

    /// Removes the key from text a server sent back (some echo the header).
    fn scrub(&self, text: &str) -> String {
        match &self.api_key {
            Some(key) if !key.expose().is_empty() => text.replace(key.expose(), "***"),
            _ => text.to_string(),
        }
    }
}

/// The pause a `Retry-After` header asks for (seconds or an HTTP date), capped.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap, cap: Duration) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = if let Ok(seconds) = value.parse::<f64>() {
        if !seconds.is_finite() || seconds < 0.0 {
            return None;
        }
        Duration::from_secs_f64(seconds.min(cap.as_secs_f64()))
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        let delta = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
        delta.to_std().unwrap_or(Duration::ZERO)
    };
    Some(wait.min(cap))
}

/// A short, one-line quotation of a body for an error message.
fn quote(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.trim();
    if flat.is_empty() {
        return "(an empty body)".into();
    }
    let mut cut: String = flat.chars().take(BODY_QUOTE_CHARS).collect();
    if cut.len() < flat.len() {
        cut.push('…');
    }
    format!("'{cut}'")
}

/// An error and its causes, so "error sending request" says why (refused, DNS, TLS).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
