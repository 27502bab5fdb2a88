-- One database per service (platform.md §1); created once, when the volume is new.
CREATE DATABASE webrana_auth;
CREATE DATABASE webrana_catalog;
CREATE DATABASE webrana_order;
CREATE DATABASE webrana_billing;
CREATE DATABASE webrana_notification;
