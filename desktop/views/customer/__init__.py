"""The unified customer screen: profile card, identities, contact points, timeline, cases, offers."""
