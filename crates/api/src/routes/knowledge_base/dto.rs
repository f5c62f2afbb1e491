//! The wire shapes of the knowledge base and their parsing: titles, contents, categories and tags through the edge's text rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use storage::models::knowledge_base::{
    self as kb, KnowledgeBaseEntry, KnowledgeBaseEntryUpdate, NewKnowledgeBaseEntry,
};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::input::{FieldErrors, JsonShape, TextRule, patch, schema};

pub(super) const MAX_TITLE: usize = 500;
pub(super) const MAX_CONTENT: usize = 200_000;
pub(super) const MAX_CATEGORY: usize = 100;
pub(super) const MAX_TAGS: usize = 50;
pub(super) const MAX_TAG: usize = 64;
/// Longer queries answer 422: nobody types them, and they cost headline time.
pub(super) const MAX_QUERY: usize = 1_000;
pub(super) const DEFAULT_RESULTS: i64 = 10;
pub(super) const MAX_RESULTS: i64 = 50;

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeBaseStats {
    pub(super) total_entries: i64,
    pub(super) total_documents: i64,
    pub(super) active_agents: i64,
    /// Entries per category, most common first; `category` null for entries without one.
    pub(super) categories: Vec<CategoryCount>,
    /// When an entry last changed; null for an empty knowledge base.
    pub(super) last_updated: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CategoryCount {
    pub(super) category: Option<String>,
    pub(super) count: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryResponse {
    pub(super) id: Uuid,
    pub(super) title: String,
    pub(super) content: String,
    pub(super) category: Option<String>,
    pub(super) tags: Vec<String>,
    #[schema(value_type = Object)]
    pub(super) metadata: Value,
    /// The document this entry was cut from, if any.
    pub(super) document_id: Option<Uuid>,
    pub(super) chunk_index: Option<i32>,
    pub(super) created_by: Option<Uuid>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
}

impl From<KnowledgeBaseEntry> for EntryResponse {
    fn from(e: KnowledgeBaseEntry) -> Self {
        Self {
            id: e.id,
            title: e.title,
            content: e.content,
            category: e.category,
            tags: e.tags,
            metadata: e.metadata,
            document_id: e.document_id,
            chunk_index: e.chunk_index,
            created_by: e.created_by,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A new entry. `title` and `content` are required.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateEntry {
    #[schema(value_type = EntryTitle, required)]
    pub(super) title: Option<String>,
    #[schema(value_type = EntryContent, required)]
    pub(super) content: Option<String>,
    #[schema(value_type = Option<EntryCategory>)]
    pub(super) category: Option<String>,
    /// Duplicates are dropped.
    #[schema(value_type = Option<Vec<EntryTag>>, max_items = 50)]
    pub(super) tags: Option<Vec<String>>,
    /// A JSON object.
    #[schema(value_type = Option<schema::JsonObject>)]
    pub(super) metadata: Option<Value>,
}

/// A partial update of at least one field: absent fields stay;
/// `category: null` clears it, `null` elsewhere is a 422.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(min_properties = 1)]
pub struct UpdateEntry {
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = EntryTitle)]
    pub(super) title: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = EntryContent)]
    pub(super) content: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<EntryCategory>)]
    pub(super) category: Option<Option<String>>,
    /// Duplicates are dropped.
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Vec<EntryTag>, max_items = 50)]
    pub(super) tags: Option<Option<Vec<String>>>,
    /// A JSON object.
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = schema::JsonObject)]
    pub(super) metadata: Option<Option<Value>>,
}

/// Web-search syntax: words (stemmed), "quoted phrase", -excluded, `or`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    #[schema(value_type = SearchQuery, required)]
    pub(super) query: Option<String>,
    /// Only entries of this category.
    #[schema(value_type = Option<EntryCategory>)]
    pub(super) category: Option<String>,
    /// Only entries carrying at least one of these tags (duplicates dropped).
    #[schema(value_type = Option<Vec<EntryTag>>, max_items = 50)]
    pub(super) tags: Option<Vec<String>>,
    /// 1 to 50, default 10. A JSON number: `26.0` is 26.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 50)]
    pub(super) max_results: Option<f64>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    pub(super) id: Uuid,
    pub(super) title: String,
    pub(super) category: Option<String>,
    pub(super) tags: Vec<String>,
    pub(super) document_id: Option<Uuid>,
    /// ts_rank_cd; higher is better.
    pub(super) rank: f32,
    /// Best fragments of the content, matches wrapped in `<mark>`.
    pub(super) snippet: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResponse {
    pub(super) results: Vec<SearchResult>,
    /// Number of results returned (at most maxResults).
    pub(super) total: usize,
    /// The query as searched (trimmed).
    pub(super) query: String,
}

pub(super) const TITLE: TextRule = TextRule::line(MAX_TITLE);
pub(super) const CONTENT: TextRule = TextRule::multiline(MAX_CONTENT);
pub(super) const CATEGORY: TextRule = TextRule::line(MAX_CATEGORY);
pub(super) const TAG: TextRule = TextRule::line(MAX_TAG);
pub(super) const QUERY: TextRule = TextRule::line(MAX_QUERY);

crate::wire_rule!(
    /// An entry's title: one line.
    EntryTitle,
    schema::line(MAX_TITLE)
);
crate::wire_rule!(
    /// An entry's content: multi-line, not blank.
    EntryContent,
    schema::multiline_required(MAX_CONTENT)
);
crate::wire_rule!(
    /// A category: one line.
    EntryCategory,
    schema::line(MAX_CATEGORY)
);
crate::wire_rule!(
    /// One tag: one line.
    EntryTag,
    schema::line(MAX_TAG)
);
crate::wire_rule!(
    /// A search: one line.
    SearchQuery,
    schema::line(MAX_QUERY)
);

pub(super) fn tags(f: &mut FieldErrors, tags: Option<Vec<String>>) -> Option<Vec<String>> {
    tags.map(|t| f.text_list("tags", t, TAG, MAX_TAGS))
}

impl CreateEntry {
    pub(super) fn parse(self, auth: &AuthUser) -> ApiResult<NewKnowledgeBaseEntry> {
        let mut f = FieldErrors::default();
        let title = f.required_text("title", self.title, TITLE);
        let content = f.required_text("content", self.content, CONTENT);
        let category = f.text("category", self.category, CATEGORY);
        let tags = tags(&mut f, self.tags).unwrap_or_default();
        let metadata = f
            .json("metadata", self.metadata, JsonShape::Object)
            .unwrap_or_else(|| json!({}));
        f.done(NewKnowledgeBaseEntry {
            organization_id: auth.organization_id,
            document_id: None,
            chunk_index: None,
            title: title.unwrap_or_default(),
            content: content.unwrap_or_default(),
            category,
            tags,
            metadata,
            created_by: auth.user_id,
        })
    }
}

impl UpdateEntry {
    pub(super) fn parse(self) -> ApiResult<KnowledgeBaseEntryUpdate> {
        let mut f = FieldErrors::default();
        let title = f.not_null("title", self.title);
        let content = f.not_null("content", self.content);
        let entry_tags = f.not_null("tags", self.tags);
        let metadata = f.not_null("metadata", self.metadata);
        let update = KnowledgeBaseEntryUpdate {
            title: f.text("title", title, TITLE),
            content: f.text("content", content, CONTENT),
            category: f.patch_text("category", self.category, CATEGORY),
            tags: tags(&mut f, entry_tags),
            metadata: f.json("metadata", metadata, JsonShape::Object),
        };
        let empty = update.title.is_none()
            && update.content.is_none()
            && update.category.is_none()
            && update.tags.is_none()
            && update.metadata.is_none();
        if empty && f.is_empty() {
            f.fail("body", "no field to update");
        }
        f.done(update)
    }
}

impl SearchRequest {
    pub(super) fn parse(self) -> ApiResult<kb::Search> {
        let mut f = FieldErrors::default();
        let query = f.text("query", Some(self.query.unwrap_or_default()), QUERY);
        let category = f.text("category", self.category, CATEGORY);
        let tags = tags(&mut f, self.tags).filter(|t| !t.is_empty());
        let limit = match self.max_results {
            None => DEFAULT_RESULTS,
            // Whole numbers only; the range check makes the cast exact.
            #[allow(clippy::cast_possible_truncation)]
            Some(n) if n.fract() == 0.0 && (1.0..=MAX_RESULTS as f64).contains(&n) => n as i64,
            Some(_) => {
                f.fail("maxResults", "must be a whole number between 1 and 50");
                DEFAULT_RESULTS
            }
        };
        f.done(kb::Search {
            query: query.unwrap_or_default(),
            category,
            tags,
            limit,
        })
    }
}
