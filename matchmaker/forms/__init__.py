"""WTForms forms (CSRF via Flask-WTF). Messages are lazily translated: WTForms has no Indonesian."""
