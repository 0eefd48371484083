"""The structured mail format: fields, sections, action items, people and dates (see docs/)."""
