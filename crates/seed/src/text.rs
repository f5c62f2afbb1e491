//! Word lists and generators of realistic seed text: organization and people
//! names, agent prompts, call transcripts and summaries, knowledge-base
//! articles. Varied enough that full-text search finds meaningful terms.

use rand::Rng;
use rand::seq::SliceRandom;
use serde::Serialize;

pub const FIRST_NAMES: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Mateo", "Isabella", "Lucas",
    "Mia", "Amara", "Hiro", "Priya", "Chen", "Fatima", "Diego", "Ingrid", "Kwame", "Yara", "Tomas",
    "Aisha", "Jonas", "Leila", "Marcus", "Nadia", "Oscar", "Rosa", "Sven", "Tara",
];
pub const LAST_NAMES: &[&str] = &[
    "Smith",
    "Garcia",
    "Nguyen",
    "Okafor",
    "Johansson",
    "Patel",
    "Kim",
    "Rossi",
    "Muller",
    "Silva",
    "Cohen",
    "Tanaka",
    "Dubois",
    "Kowalski",
    "Haddad",
    "Brown",
    "Lopez",
    "Singh",
    "Ivanova",
    "Mensah",
    "Andersen",
    "Walsh",
];
const ORG_ADJECTIVES: &[&str] = &[
    "Bright",
    "Summit",
    "Harbor",
    "Evergreen",
    "Blue",
    "Northstar",
    "Golden",
    "Riverside",
    "Pioneer",
    "Silver",
    "Crescent",
    "Maple",
    "Cedar",
    "Atlas",
    "Beacon",
    "Coastal",
    "Granite",
    "Lakeside",
    "Redwood",
    "Union",
];
const ORG_NOUNS: &[&str] = &[
    "Dental",
    "Realty",
    "Insurance",
    "Auto Care",
    "Veterinary",
    "Fitness",
    "Legal",
    "Plumbing",
    "Health",
    "Logistics",
    "Solar",
    "Hotels",
    "Pharmacy",
    "Telecom",
    "Bank",
    "Clinic",
    "Home Services",
    "Travel",
];
const ORG_SUFFIXES: &[&str] = &[
    "Group",
    "Partners",
    "Co",
    "Inc",
    "Associates",
    "Network",
    "Services",
    "Labs",
];

pub const AGENT_NAMES: &[&str] = &[
    "Reception Assistant",
    "Appointment Scheduler",
    "Billing Helper",
    "After-hours Support",
    "Sales Qualifier",
    "Order Tracker",
    "Customer Survey",
    "Tech Support Tier 1",
    "Claims Intake",
    "Renewal Reminder",
    "Booking Concierge",
    "Lead Follow-up",
];
pub const VOICE_IDS: &[&str] = &[
    "21m00Tcm4TlvDq8ikWAM",
    "AZnzlk1XvdvUeBnXmlld",
    "EXAVITQu4vr4xnSDxMaL",
    "ErXwobaYiN019PkySvjV",
    "MF3mGyEYCl7XYWbV9V6O",
    "TxGEqnHWrfWFTfGW9XjX",
    "VR6AewLTigWG4xSOukaG",
    "pNInz6obpgDQGcFmaJgB",
];
pub const LANGUAGES: &[&str] = &[
    "en", "en", "en", "en", "en", "en", "es", "fr", "de", "pt-BR",
];

/// One kind of call: what the caller wants, how the agent answers, and how
/// a summary describes it.
struct Topic {
    request: &'static [&'static str],
    question: &'static [&'static str],
    detail: &'static [&'static str],
    resolution: &'static [&'static str],
    summary: &'static [&'static str],
}

const TOPICS: &[Topic] = &[
    Topic {
        request: &[
            "Hi, I'd like to book an appointment for a cleaning next week.",
            "I need to reschedule my appointment, something came up at work.",
            "Can I get an appointment with Dr. Patel sometime on {day}?",
        ],
        question: &[
            "Of course. Which day and time work best for you?",
            "I can help with that. Do you prefer a morning or an afternoon slot?",
        ],
        detail: &[
            "{day} around {time} would be perfect.",
            "Anything after {time} on {day} works for me.",
        ],
        resolution: &[
            "You're booked for {day} at {time}. You'll get a text confirmation shortly.",
            "Done, I moved your appointment to {day} at {time} and sent a reminder to your phone.",
        ],
        summary: &[
            "Caller booked an appointment for {day} at {time}; confirmation text sent.",
            "Customer rescheduled an existing appointment to {day} at {time}.",
        ],
    },
    Topic {
        request: &[
            "I was charged twice on my last invoice, can you check that?",
            "My bill is higher than usual this month and I don't understand why.",
            "I want to update the credit card on my account.",
        ],
        question: &[
            "I'm sorry about that. Could you confirm the account number or the email on file?",
            "Let me pull up your billing history. Can you verify your billing zip code?",
        ],
        detail: &[
            "Sure, the account number is {order}.",
            "It's the one ending in {digits}, zip {zip}.",
        ],
        resolution: &[
            "I found the duplicate charge and issued a refund of {amount}; it will appear in three to five business days.",
            "The increase comes from the annual plan renewal. I applied a loyalty discount of {amount}.",
            "Your payment method is updated and the next invoice will use the new card.",
        ],
        summary: &[
            "Billing dispute about a duplicate charge; refund of {amount} issued.",
            "Customer questioned a higher invoice; renewal explained and discount of {amount} applied.",
            "Payment method updated on the account.",
        ],
    },
    Topic {
        request: &[
            "Where is my order? It was supposed to arrive yesterday.",
            "I'd like to track a package, the order number is {order}.",
            "My delivery arrived damaged and I need a replacement.",
        ],
        question: &[
            "Let me look that up. Can you give me the order number?",
            "I'm sorry to hear that. Could you describe the damage and confirm the shipping address?",
        ],
        detail: &[
            "The order number is {order}.",
            "The box was crushed and the {product} has a cracked screen.",
        ],
        resolution: &[
            "Your package is with the courier and scheduled for delivery on {day} before {time}.",
            "I've created a replacement order for the {product} with express shipping at no charge.",
        ],
        summary: &[
            "Order status inquiry for order {order}; delivery expected {day}.",
            "Damaged delivery reported; replacement {product} shipped express.",
        ],
    },
    Topic {
        request: &[
            "My {product} keeps disconnecting from the wifi.",
            "I can't log in to the app, it says my password is wrong.",
            "The {product} won't turn on after the latest update.",
        ],
        question: &[
            "Let's troubleshoot together. Have you tried restarting the device and the router?",
            "I can help. Do you see any error code on the screen?",
        ],
        detail: &[
            "Yes, I restarted both and it still drops.",
            "It shows error code {digits}.",
        ],
        resolution: &[
            "Please hold the reset button for ten seconds; the firmware will reinstall and reconnect automatically.",
            "I've sent a password reset link to your email; it expires in thirty minutes.",
            "I opened a support ticket and a technician will call you back within 24 hours.",
        ],
        summary: &[
            "Technical support for a {product} connectivity issue; factory reset resolved it.",
            "Login problem; password reset link sent to the customer.",
            "Device failure after update escalated to a technician callback.",
        ],
    },
    Topic {
        request: &[
            "I'm interested in your premium plan, what does it include?",
            "Do you offer discounts for small businesses?",
            "I saw your ad about the {product}, is it still on sale?",
        ],
        question: &[
            "Great question. How many people on your team would use it?",
            "Happy to help. What are you mainly hoping to solve?",
        ],
        detail: &[
            "We're a team of {digits} people.",
            "Mostly scheduling and answering calls after hours.",
        ],
        resolution: &[
            "The premium plan includes priority support and unlimited seats; I've emailed you a quote.",
            "Yes, the sale runs until {day}; I can reserve one for you now.",
            "I booked a demo with our sales team for {day} at {time}.",
        ],
        summary: &[
            "Sales inquiry about the premium plan; quote emailed.",
            "Prospect interested in the {product} promotion; demo booked for {day}.",
        ],
    },
    Topic {
        request: &[
            "I need to file a claim for water damage in my kitchen.",
            "I want to check the status of my insurance claim.",
            "My car was rear-ended this morning and I need to report it.",
        ],
        question: &[
            "I'm sorry to hear that. Is everyone safe? Can you tell me when it happened?",
            "Let me find your claim. Can you confirm your policy number?",
        ],
        detail: &[
            "It happened {day} morning.",
            "The policy number is {order}.",
        ],
        resolution: &[
            "I've opened claim {order}; an adjuster will contact you within two business days.",
            "Your claim is approved and the payment of {amount} is being processed.",
        ],
        summary: &[
            "New claim filed for property damage; adjuster assigned.",
            "Claim status check; payment of {amount} approved.",
        ],
    },
];

const GREETINGS: &[&str] = &[
    "Thank you for calling {org}, this is {agent}. How can I help you today?",
    "Hi, you've reached {org}. I'm {agent}, your virtual assistant. What can I do for you?",
    "Good {part}, {org} here. How may I assist you?",
];
const FILLER: &[(&str, &str)] = &[
    (
        "Can you also send that to my email?",
        "Absolutely, I've sent the details to the email on your account.",
    ),
    (
        "How long will that take?",
        "It usually takes one to two business days.",
    ),
    (
        "Is there a fee for that?",
        "No, there's no additional fee for this request.",
    ),
    (
        "Could you repeat the last part?",
        "Of course. I said everything is confirmed and you'll get a text.",
    ),
    (
        "Do I need to bring anything?",
        "Just a photo ID and your insurance card, if you have one.",
    ),
];
const CLOSINGS: &[&str] = &[
    "Great, thank you so much!",
    "Perfect, that's all I needed.",
    "Thanks for your help.",
];
const GOODBYES: &[&str] = &[
    "You're welcome! Have a wonderful day.",
    "My pleasure. Is there anything else I can help with? Goodbye!",
    "Thanks for calling {org}. Take care!",
];
const DAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const TIMES: &[&str] = &[
    "9 AM", "10:30 AM", "noon", "1 PM", "2:15 PM", "3 PM", "4:45 PM", "6 PM",
];
const PRODUCTS: &[&str] = &[
    "smart thermostat",
    "wireless router",
    "security camera",
    "tablet",
    "robot vacuum",
    "espresso machine",
    "fitness tracker",
    "noise-cancelling headphones",
    "electric toothbrush",
    "standing desk",
];

/// One transcript turn, in ElevenLabs' shape.
#[derive(Serialize)]
pub struct Turn {
    pub role: &'static str,
    pub message: String,
    pub time_in_call_secs: i32,
}

fn pick<'a, R: Rng>(rng: &mut R, items: &'a [&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or_default()
}

/// Fills `{slot}`s with random values that stay the same within one call.
pub struct Slots {
    day: &'static str,
    time: &'static str,
    product: &'static str,
    order: String,
    digits: String,
    zip: String,
    amount: String,
}

impl Slots {
    pub fn new<R: Rng>(rng: &mut R) -> Self {
        Self {
            day: pick(rng, DAYS),
            time: pick(rng, TIMES),
            product: pick(rng, PRODUCTS),
            order: format!(
                "{}-{:06}",
                ["A", "B", "C", "K", "M"][rng.gen_range(0..5)],
                rng.gen_range(0..1_000_000)
            ),
            digits: format!("{}", rng.gen_range(2..9999)),
            zip: format!("{:05}", rng.gen_range(1000..99999)),
            amount: format!("${}.{:02}", rng.gen_range(5..400), rng.gen_range(0..100)),
        }
    }

    pub fn fill(&self, template: &str, org: &str, agent: &str) -> String {
        if !template.contains('{') {
            return template.to_owned();
        }
        template
            .replace("{day}", self.day)
            .replace("{time}", self.time)
            .replace("{product}", self.product)
            .replace("{order}", &self.order)
            .replace("{digits}", &self.digits)
            .replace("{zip}", &self.zip)
            .replace("{amount}", &self.amount)
            .replace("{org}", org)
            .replace("{agent}", agent)
            .replace("{part}", "afternoon")
    }
}

/// A call's transcript and summary. `turns` is how many lines to produce
/// (0 for calls nobody answered); `completed` calls get a summary.
pub fn conversation<R: Rng>(
    rng: &mut R,
    org: &str,
    agent: &str,
    turns: usize,
    duration: i32,
) -> (Vec<Turn>, Option<String>) {
    if turns == 0 {
        return (Vec::new(), None);
    }
    let topic = &TOPICS[rng.gen_range(0..TOPICS.len())];
    let slots = Slots::new(rng);
    let mut lines: Vec<(&'static str, String)> =
        vec![("agent", slots.fill(pick(rng, GREETINGS), org, agent))];
    if turns <= 2 {
        lines.push(("user", slots.fill(pick(rng, topic.request), org, agent)));
        let summary =
            "Call dropped shortly after the caller stated the reason for calling.".to_owned();
        return (timed(lines, duration), Some(summary));
    }
    lines.push(("user", slots.fill(pick(rng, topic.request), org, agent)));
    lines.push(("agent", slots.fill(pick(rng, topic.question), org, agent)));
    lines.push(("user", slots.fill(pick(rng, topic.detail), org, agent)));
    lines.push(("agent", slots.fill(pick(rng, topic.resolution), org, agent)));
    while lines.len() + 2 < turns {
        let (q, a) = FILLER[rng.gen_range(0..FILLER.len())];
        lines.push(("user", q.to_owned()));
        lines.push(("agent", a.to_owned()));
    }
    lines.push(("user", pick(rng, CLOSINGS).to_owned()));
    lines.push(("agent", slots.fill(pick(rng, GOODBYES), org, agent)));
    let summary = slots.fill(pick(rng, topic.summary), org, agent);
    (timed(lines, duration), Some(summary))
}

/// Spreads the lines over the call's duration.
fn timed(lines: Vec<(&'static str, String)>, duration: i32) -> Vec<Turn> {
    let n = lines.len().max(1) as i32;
    lines
        .into_iter()
        .enumerate()
        .map(|(i, (role, message))| Turn {
            role,
            message,
            time_in_call_secs: duration * i as i32 / n,
        })
        .collect()
}

pub fn org_name<R: Rng>(rng: &mut R) -> String {
    format!(
        "{} {} {}",
        pick(rng, ORG_ADJECTIVES),
        pick(rng, ORG_NOUNS),
        pick(rng, ORG_SUFFIXES)
    )
}

pub fn person<R: Rng>(rng: &mut R) -> (&'static str, &'static str) {
    (pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES))
}

pub fn system_prompt<R: Rng>(rng: &mut R, org: &str, agent: &str) -> String {
    format!(
        "You are {agent}, the voice assistant of {org}. Be warm, concise and accurate. Verify the caller's \
         identity before discussing accounts. Offer to {} and {}. Never share internal notes. If you cannot \
         help, offer a callback from a human during business hours ({} to {}).",
        pick(
            rng,
            &[
                "book or move appointments",
                "check order status",
                "explain invoices",
                "open support tickets"
            ]
        ),
        pick(
            rng,
            &[
                "send confirmations by text",
                "email a summary",
                "transfer urgent calls",
                "collect feedback"
            ]
        ),
        pick(rng, &["8 AM", "9 AM"]),
        pick(rng, &["5 PM", "6 PM", "8 PM"]),
    )
}

// Knowledge-base vocabulary: categories with their own nouns and verbs, so
// searches like "refund", "firmware" or "deductible" hit the right articles.
const KB: &[(&str, &[&str], &[&str])] = &[
    (
        "billing",
        &[
            "invoice",
            "refund",
            "credit card",
            "payment plan",
            "late fee",
            "receipt",
            "proration",
            "tax",
        ],
        &["issue", "dispute", "update", "split", "waive"],
    ),
    (
        "shipping",
        &[
            "package",
            "courier",
            "tracking number",
            "delivery window",
            "customs",
            "return label",
            "warehouse",
        ],
        &["track", "reroute", "expedite", "insure", "hold"],
    ),
    (
        "returns",
        &[
            "return window",
            "exchange",
            "restocking fee",
            "store credit",
            "receipt",
            "defective item",
        ],
        &["return", "exchange", "inspect", "approve", "refund"],
    ),
    (
        "technical-support",
        &[
            "firmware",
            "router",
            "bluetooth pairing",
            "error code",
            "factory reset",
            "mobile app",
            "password",
        ],
        &["reset", "reinstall", "pair", "diagnose", "update"],
    ),
    (
        "appointments",
        &[
            "appointment",
            "waitlist",
            "cancellation policy",
            "reminder",
            "new patient form",
            "time slot",
        ],
        &["book", "reschedule", "cancel", "confirm", "remind"],
    ),
    (
        "insurance",
        &[
            "deductible",
            "claim",
            "policy",
            "premium",
            "coverage limit",
            "adjuster",
            "copay",
        ],
        &["file", "review", "approve", "renew", "estimate"],
    ),
    (
        "account",
        &[
            "profile",
            "two-factor authentication",
            "email address",
            "subscription",
            "user seat",
            "login",
        ],
        &["verify", "change", "close", "transfer", "secure"],
    ),
    (
        "product",
        &[
            "warranty",
            "battery",
            "accessory",
            "user manual",
            "spare part",
            "model number",
            "feature",
        ],
        &["register", "replace", "compare", "upgrade", "charge"],
    ),
];
const KB_ADJECTIVES: &[&str] = &[
    "standard",
    "express",
    "annual",
    "monthly",
    "partial",
    "full",
    "international",
    "same-day",
    "premium",
    "basic",
];
const KB_SENTENCES: &[&str] = &[
    "Customers can {verb} a {noun} from the account portal or by calling support.",
    "A {adj} {noun} is available to every plan except the free tier.",
    "To {verb} a {noun}, confirm the caller's identity first and note the request in the ticket.",
    "If the {noun} was created more than 30 days ago, agents should {verb} it only with supervisor approval.",
    "The {adj} option usually takes two to five business days to complete.",
    "Never promise a {noun} before checking the customer's eligibility in the billing system.",
    "Most questions about the {noun} are answered in the help center article linked in the confirmation email.",
    "When a caller asks to {verb} their {noun}, read back the details and ask for confirmation.",
    "Agents may offer a {adj} {noun} as a goodwill gesture once per year.",
    "Escalate to a human agent if the customer mentions a legal complaint or a safety issue with the {noun}.",
    "The {noun} can also be handled by text message; send the secure link and stay on the line.",
    "Fees for a {adj} {noun} are listed on the pricing page and in the terms of service.",
];

/// A knowledge-base article: title, content, category and tags.
pub fn kb_article<R: Rng>(rng: &mut R) -> (String, String, &'static str, Vec<&'static str>) {
    let (category, nouns, verbs) = KB[rng.gen_range(0..KB.len())];
    let noun = pick(rng, nouns);
    let verb = pick(rng, verbs);
    let title = match rng.gen_range(0..4) {
        0 => format!("How to {verb} a {noun}"),
        1 => format!("{} {noun} policy", capitalize(pick(rng, KB_ADJECTIVES))),
        2 => format!("FAQ: can customers {verb} their {noun}?"),
        _ => format!("Troubleshooting the {noun}"),
    };
    let sentences = rng.gen_range(3..9);
    let mut content = String::with_capacity(sentences * 90);
    for i in 0..sentences {
        if i > 0 {
            content.push(' ');
        }
        let n = if i == 0 { noun } else { pick(rng, nouns) };
        content.push_str(
            &pick(rng, KB_SENTENCES)
                .replace("{noun}", n)
                .replace("{verb}", pick(rng, verbs))
                .replace("{adj}", pick(rng, KB_ADJECTIVES)),
        );
    }
    let mut tags: Vec<&'static str> = vec![category];
    tags.push(pick(rng, verbs));
    if rng.gen_bool(0.5) {
        tags.push(pick(rng, KB_ADJECTIVES));
    }
    tags.dedup();
    (title, content, category, tags)
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn conversations_have_the_requested_shape() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let (turns, summary) = conversation(&mut rng, "Acme", "Ava", 8, 240);
        assert!((7..=9).contains(&turns.len()));
        assert!(summary.is_some());
        assert!(turns.iter().all(|t| !t.message.contains('{')));
        assert!(
            turns
                .windows(2)
                .all(|w| w[0].time_in_call_secs <= w[1].time_in_call_secs)
        );
        let (none, no_summary) = conversation(&mut rng, "Acme", "Ava", 0, 0);
        assert!(none.is_empty() && no_summary.is_none());
    }

    #[test]
    fn kb_articles_are_filled() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for _ in 0..50 {
            let (title, content, category, tags) = kb_article(&mut rng);
            assert!(!title.contains('{') && !content.contains('{'));
            assert!(tags.contains(&category));
        }
    }
}
