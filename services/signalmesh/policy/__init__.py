"""The policy service: conversion strategy, eligibility and deduplication decisions."""
