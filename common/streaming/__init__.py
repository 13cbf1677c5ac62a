"""Events to viewers: one Firestore Listen stream per instance fanned out to Server-Sent Events."""
