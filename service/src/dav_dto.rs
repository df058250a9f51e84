//! Shapes of CardDAV app passwords shared by the REST API, the server functions and the profile
//! page in the browser (compiled without the `server` feature too).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest name of an app password ("iPhone", "Thunderbird at work").
pub const APP_PASSWORD_NAME_MAX: usize = 100;
/// Most app passwords one user may hold at once (revoked ones do not count).
pub const APP_PASSWORDS_PER_USER: u64 = 50;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AppPasswordInput {
    /// What the password is for, e.g. the device: 1 to 100 characters.
    #[cfg_attr(feature = "server", schema(min_length = 1, max_length = 100))]
    pub name: String,
}

/// An app password as listed: never the password itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AppPassword {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// The last CardDAV request it signed (to the minute), if any.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new app password: the only time the password is shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct NewAppPassword {
    pub id: i64,
    pub name: String,
    /// Use it with the username for CardDAV; it cannot be shown again.
    pub password: String,
}

/// Most groups one user may have on the phone as address books of their own.
pub const DAV_GROUPS_MAX: usize = 100;

/// What a person types into their phone to add the CardDAV account, and the address books it
/// will find there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DavSetup {
    /// The username to sign in with (with an app password).
    pub username: String,
    /// The server address for iOS and DAVx⁵ (`https://crm.example.com/dav/`); discovery finds the rest.
    pub server_url: String,
    /// The team's address book itself, for clients that want it (Thunderbird, vdirsyncer).
    pub addressbook_url: String,
    /// Every address book the phone finds: the team's first, then one per group chosen.
    pub books: Vec<DavBook>,
}

/// One CardDAV address book of a user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DavBook {
    /// The group it shows, or none for the team's book (every contact).
    pub group_id: Option<i64>,
    /// Its name on the phone: the group's name, or "cardcrm contacts".
    pub name: String,
    pub url: String,
}

/// The groups to have on the phone as address books of their own (replaces the earlier choice).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct DavGroupsInput {
    /// Group ids, at most 100; an empty list keeps only the team's book.
    #[cfg_attr(feature = "server", schema(max_items = 100))]
    pub group_ids: Vec<i64>,
}
