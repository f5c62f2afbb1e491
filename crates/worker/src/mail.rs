//! E-mail: templates rendered with minijinja, sent over SMTP (lettre) when
//! SMTP_URL is set, otherwise written as `{outbox id}.eml` files so
//! development needs no mail server. Writing is idempotent: a re-run
//! replaces the same file.

use std::path::PathBuf;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::Environment;
use secrecy::ExposeSecret;
use storage::models::email_outbox::template;
use uuid::Uuid;

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// No retry can fix it (unknown template, bad address, 5xx answer).
    #[error("{0}")]
    Permanent(String),
    #[error("{0}")]
    Transient(String),
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

pub struct Mailer {
    env: Environment<'static>,
    from: Mailbox,
    transport: Transport,
}

const TEMPLATES: [(&str, &str, &str, &str); 3] = [
    (
        template::WELCOME,
        "Welcome to EchoSenseiX",
        include_str!("../templates/welcome.txt"),
        include_str!("../templates/welcome.html"),
    ),
    (
        template::INVITATION,
        "You are invited to {{ organizationName | default(\"EchoSenseiX\") }}",
        include_str!("../templates/invitation.txt"),
        include_str!("../templates/invitation.html"),
    ),
    (
        template::PASSWORD_RESET,
        "Reset your EchoSenseiX password",
        include_str!("../templates/password_reset.txt"),
        include_str!("../templates/password_reset.html"),
    ),
];

impl Mailer {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        for (name, subject, text, html) in TEMPLATES {
            env.add_template_owned(format!("{name}.subject"), subject)?;
            env.add_template_owned(format!("{name}.txt"), text)?;
            env.add_template_owned(format!("{name}.html"), html)?;
        }
        let from: Mailbox = config
            .email_from
            .parse()
            .map_err(|e| anyhow::anyhow!("EMAIL_FROM: {e}"))?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())?.build(),
            ),
            None => {
                std::fs::create_dir_all(&config.outbox_dir)?;
                Transport::Files(config.outbox_dir.clone())
            }
        };
        Ok(Self {
            env,
            from,
            transport,
        })
    }

    /// Renders `template` with `data` into the message of outbox row `id`
    /// to `to`. Its Message-ID derives from the row, so a resend after a
    /// crash is the same message to the receiving server and client.
    pub fn render(
        &self,
        id: Uuid,
        template: &str,
        to: &str,
        data: &serde_json::Value,
    ) -> Result<Message, MailError> {
        let render = |part: &str| {
            self.env
                .get_template(&format!("{template}.{part}"))
                .and_then(|t| t.render(data))
                .map_err(|e| MailError::Permanent(format!("template `{template}`: {e}")))
        };
        let (subject, text, html) = (render("subject")?, render("txt")?, render("html")?);
        let to: Mailbox = to
            .parse()
            .map_err(|e| MailError::Permanent(format!("recipient address: {e}")))?;
        Message::builder()
            .message_id(Some(format!("<{id}@{}>", self.from.email.domain())))
            .from(self.from.clone())
            .to(to)
            .subject(subject.trim())
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| MailError::Permanent(format!("building the message: {e}")))
    }

    /// Sends (or writes) the message of outbox row `id`.
    pub async fn send(&self, id: Uuid, message: Message) -> Result<(), MailError> {
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| {
                if e.is_permanent() {
                    MailError::Permanent(format!("smtp: {e}"))
                } else {
                    MailError::Transient(format!("smtp: {e}"))
                }
            }),
            Transport::Files(dir) => {
                let path = dir.join(format!("{id}.eml"));
                let tmp = dir.join(format!(".{id}.eml.tmp"));
                let bytes = message.formatted();
                let io = |e: std::io::Error| {
                    MailError::Transient(format!("writing {}: {e}", path.display()))
                };
                tokio::fs::write(&tmp, bytes).await.map_err(io)?;
                tokio::fs::rename(&tmp, &path).await.map_err(io)
            }
        }
    }
}
