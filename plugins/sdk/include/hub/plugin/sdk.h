#pragma once
// The whole plugin SDK in one include.

#include "hub/plugin/adapter.h"
#include "hub/plugin/config.h"
#include "hub/plugin/context.h"
#include "hub/plugin/delivery_result.h"
#include "hub/plugin/envelope.h"
#include "hub/plugin/file_parser.h"
#include "hub/plugin/job_spec.h"
#include "hub/plugin/abi.h"
