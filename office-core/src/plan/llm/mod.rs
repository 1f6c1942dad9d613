//! A `CodeGenerator` backed by any OpenAI-compatible chat-completions endpoint (hosted
//! models, vLLM, Ollama, llama.cpp server, LM Studio).
//!
//! - `client`: the transport (timeouts, retries with backoff, `Retry-After`);
//! - `prompt`: the conversation: contract, code policy, file profiles as data, request;
//! - `extract`: the program out of the reply;
//! - `feedback`: what went wrong with the last program, as the model reads it;
//! - `follow_up`: what a follow-up is told of the job it follows up;
//! - `fake` (tests only): a scripted OpenAI-compatible server on loopback.
//!
//! The repair loop itself is the runner's: it hands back the previous program and what
//! went wrong with it (`PlanRequest::previous_code`, `previous_error`, written by
//! `feedback`).

pub(crate) mod client;
pub(crate) mod extract;
#[cfg(any(test, feature = "test-utils"))]
pub(crate) mod fake;
pub(crate) mod feedback;
pub(crate) mod follow_up;
pub(crate) mod prompt;

use crate::config::LlmConfig;
use crate::error::{Error, Result};
use crate::job::ErrorCode;
use crate::plan::{
    CodeGenerator, ModelCall, Narrative, NarrativeRequest, Plan, PlanError, PlanRequest,
};
use crate::validate::Policy;
use client::{ChatClient, ChatReply, Message, TransportError};

/// Writes programs (and report prose) with a model.
pub struct LlmGenerator {
    client: ChatClient,
    config: LlmConfig,
    policy: Policy,
}

impl LlmGenerator {
    /// `policy` is the validator's: the prompt tells the model exactly what it accepts.
    pub fn new(config: LlmConfig, policy: Policy) -> Result<Self> {
        let client = ChatClient::new(&config).map_err(Error::invalid)?;
        Ok(LlmGenerator {
            client,
            config,
            policy,
        })
    }

    /// The endpoint, model and limits it calls with.
    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    async fn call(
        &self,
        purpose: &str,
        messages: &[Message],
        log: Option<&crate::plan::CallLog>,
    ) -> Result<ChatReply, PlanError> {
        let started = std::time::Instant::now();
        let result = self.client.chat(messages).await;
        let record = |tries: u32, usage: client::Usage| ModelCall {
            purpose: purpose.into(),
            model: self.config.model.clone(),
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            total_tokens: usage.total_tokens,
            latency_ms: started.elapsed().as_secs_f64() * 1000.0,
            tries,
        };
        match result {
            Ok(reply) => {
                if let Some(log) = log {
                    log.push(record(reply.tries, reply.usage));
                }
                tracing::info!(
                    model = %self.config.model, purpose,
                    latency_ms = reply.latency.as_millis() as u64,
                    prompt_tokens = reply.usage.prompt_tokens,
                    completion_tokens = reply.usage.completion_tokens,
                    tries = reply.tries, "model answered"
                );
                Ok(reply)
            }
            Err(e) => {
                if let Some(log) = log {
                    log.push(record(e.tries, client::Usage::default()));
                }
                Err(transport_error(e))
            }
        }
    }
}

fn transport_error(e: TransportError) -> PlanError {
    PlanError {
        code: e.code,
        message: e.message,
        understood: Vec::new(),
        operations: Vec::new(),
        columns: Vec::new(),
        suggestions: Box::default(),
    }
}

#[async_trait::async_trait]
impl CodeGenerator for LlmGenerator {
    fn name(&self) -> String {
        format!("llm:{}", self.config.model)
    }

    fn max_attempts(&self) -> u32 {
        self.config.max_attempts.max(1)
    }

    async fn generate(&self, req: &PlanRequest<'_>) -> Result<Plan, PlanError> {
        let mut messages = prompt::messages(
            req.kind,
            req.prompt,
            req.profiles,
            req.params,
            &self.policy,
            self.config.profile_token_budget,
        );
        if let Some(parent) = req.parent {
            follow_up::add(&mut messages, parent);
        }
        match (req.previous_code, req.previous_error) {
            (Some(code), Some(error)) => {
                messages = prompt::repair_messages(messages, code, error);
            }
            // The last answer held no program: say so and ask again.
            (None, Some(error)) => messages.push(Message::user(error)),
            _ => {}
        }
        let reply = self.call("generate", &messages, req.calls).await?;
        let Some(code) = extract::extract_code(&reply.content) else {
            let cut = reply.finish_reason.as_deref() == Some("length");
            let shown: String = reply.content.chars().take(200).collect();
            return Err(PlanError {
                code: ErrorCode::NoCodeInReply,
                message: format!(
                    "the model's reply held no Python program (no ```python block, and the \
                     text is not Python){}; it began: {:?}",
                    if cut {
                        ", and it was cut off at the model's length limit"
                    } else {
                        ""
                    },
                    shown
                ),
                understood: Vec::new(),
                operations: Vec::new(),
                columns: req
                    .profiles
                    .iter()
                    .flat_map(|p| p.sheets.iter())
                    .flat_map(|s| s.columns.iter().map(|c| c.name.clone()))
                    .take(50)
                    .collect(),
                suggestions: Box::default(),
            });
        };
        Ok(Plan {
            code,
            generator: self.name(),
            steps: vec![format!(
                "program written by the model {} for the request",
                self.config.model
            )],
            output: Some(crate::kind::of(req.kind).contract().output.into()),
        })
    }

    async fn narrate(&self, req: &NarrativeRequest<'_>) -> Option<Result<Narrative, PlanError>> {
        let messages = prompt::narrative_messages(req);
        let reply = match self.call("narrate", &messages, None).await {
            Ok(reply) => reply,
            Err(e) => return Some(Err(e)),
        };
        let markdown = unwrap_markdown_fence(&extract::strip_thinking(&reply.content));
        if markdown.trim().is_empty() {
            return Some(Err(PlanError {
                code: ErrorCode::NoTextInReply,
                message: "the model's reply to the request for the report's prose was empty".into(),
                understood: Vec::new(),
                operations: Vec::new(),
                columns: Vec::new(),
                suggestions: Box::default(),
            }));
        }
        Some(Ok(Narrative {
            markdown,
            generator: self.name(),
        }))
    }
}

/// A reply that is one ```markdown block is the block's content.
fn unwrap_markdown_fence(reply: &str) -> String {
    let trimmed = reply.trim();
    for opener in ["```markdown\n", "```md\n", "```\n"] {
        if let Some(rest) = trimmed.strip_prefix(opener)
            && let Some(body) = rest.strip_suffix("```")
        {
            return body.trim().to_string() + "\n";
        }
    }
    trimmed.to_string() + "\n"
}

#[cfg(test)]
mod tests;
