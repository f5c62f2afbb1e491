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

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(assets::css)
        .service(assets::js)
        .route("/admin", web::get().to(pages::overview))
        .route("/admin/", web::get().to(pages::overview))
        .route("/admin/login", web::get().to(login::form))
        .route("/admin/login", web::post().to(login::login))
        .route("/admin/logout", web::post().to(login::logout))
        .route("/admin/jobs", web::get().to(pages::job))
        .route("/admin/queues/{queue}", web::get().to(pages::queue))
        .route(
            "/admin/queues/{queue}/pause",
            web::post().to(actions::pause),
        )
        .route(
            "/admin/queues/{queue}/resume",
            web::post().to(actions::resume),
        )
        .route(
            "/admin/queues/{queue}/dead/retry",
            web::post().to(actions::retry_dead),
        )
        .route(
            "/admin/queues/{queue}/jobs/{id}/retry",
            web::post().to(actions::retry),
        )
        .route(
            "/admin/queues/{queue}/jobs/{id}/discard",
            web::post().to(actions::discard),
        );
}
