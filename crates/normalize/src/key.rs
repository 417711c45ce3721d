//! Identity of an entry within its feed (see DESIGN.md "Identity and duplicates").
