"""The cloud services' clients, each wrapped once: Firestore, Cloud Storage uploads and URL signing,
Cloud Tasks, the metadata server, and R2 (through its S3 API) for generated images."""
