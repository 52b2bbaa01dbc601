"""The site model: exams.yaml and the exam files read with positions, validated into frozen
dataclasses; the private answer keys; scaffolding for new exams."""
