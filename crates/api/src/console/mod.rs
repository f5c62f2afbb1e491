//! The operator console at `/admin`: server-rendered pages over the job
//! queues and worker processes, and the actions operators take on them.
//! Signed in with the platform ADMIN_TOKEN (never an organization's token);
//! without ADMIN_TOKEN every page answers 404.

mod actions;
mod assets;
mod audit;
mod login;
mod page_error;
mod pages;
mod render;
pub mod session;

use actix_web::web;

/// Each page and action is registered by its method macro; the console is
/// HTML for operators, so it stays out of the OpenAPI document.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(assets::css)
        .service(assets::js)
        .service(pages::overview)
        .service(login::login_form)
        .service(login::login)
        .service(login::logout)
        .service(pages::job)
        .service(pages::queue_page)
        .service(actions::pause)
        .service(actions::resume)
        .service(actions::retry_dead)
        .service(actions::retry)
        .service(actions::discard);
}
