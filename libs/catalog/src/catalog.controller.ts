import { ApiErrorResponses, ApiPageResponse, Page, PageQueryDto, UuidParam } from '@itn/core';
import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@itn/auth';
import { CatalogService } from './catalog.service';
import { CommodityDto, CreateCommodityDto } from './dto/commodity.dto';
import { CreatePlanetDto, PlanetDto } from './dto/planet.dto';
import { CreateStationDto, ListStationsQueryDto, StationDto } from './dto/station.dto';

@ApiTags('catalog')
@ApiBearerAuth('bearer')
@Controller('planets')
export class PlanetsController {
  constructor(private readonly catalog: CatalogService) {}

  @Get()
  @ApiOperation({ summary: 'List planets' })
  @ApiPageResponse(PlanetDto)
  @ApiErrorResponses(400, 401)
  list(@Query() query: PageQueryDto): Promise<Page<PlanetDto>> {
    return this.catalog.listPlanets(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a planet' })
  @ApiOkResponse({ type: PlanetDto })
  @ApiErrorResponses(400, 401, 404)
  get(@Param('id', UuidParam) id: string): Promise<PlanetDto> {
    return this.catalog.getPlanet(id);
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Create a planet (admin)' })
  @ApiCreatedResponse({ type: PlanetDto })
  @ApiErrorResponses(400, 401, 403, 409)
  create(@Body() dto: CreatePlanetDto): Promise<PlanetDto> {
    return this.catalog.createPlanet(dto);
  }
}

@ApiTags('catalog')
@ApiBearerAuth('bearer')
@Controller('stations')
export class StationsController {
  constructor(private readonly catalog: CatalogService) {}

  @Get()
  @ApiOperation({ summary: 'List stations' })
  @ApiPageResponse(StationDto)
  @ApiErrorResponses(400, 401)
  list(@Query() query: ListStationsQueryDto): Promise<Page<StationDto>> {
    return this.catalog.listStations(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a station' })
  @ApiOkResponse({ type: StationDto })
  @ApiErrorResponses(400, 401, 404)
  get(@Param('id', UuidParam) id: string): Promise<StationDto> {
    return this.catalog.getStation(id);
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Create a station (admin)' })
  @ApiCreatedResponse({ type: StationDto })
  @ApiErrorResponses(400, 401, 403, 404, 409)
  create(@Body() dto: CreateStationDto): Promise<StationDto> {
    return this.catalog.createStation(dto);
  }
}

@ApiTags('catalog')
@ApiBearerAuth('bearer')
@Controller('commodities')
export class CommoditiesController {
  constructor(private readonly catalog: CatalogService) {}

  @Get()
  @ApiOperation({ summary: 'List commodities' })
  @ApiPageResponse(CommodityDto)
  @ApiErrorResponses(400, 401)
  list(@Query() query: PageQueryDto): Promise<Page<CommodityDto>> {
    return this.catalog.listCommodities(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a commodity' })
  @ApiOkResponse({ type: CommodityDto })
  @ApiErrorResponses(400, 401, 404)
  get(@Param('id', UuidParam) id: string): Promise<CommodityDto> {
    return this.catalog.getCommodity(id);
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: 'Create a commodity (admin)' })
  @ApiCreatedResponse({ type: CommodityDto })
  @ApiErrorResponses(400, 401, 403, 409)
  create(@Body() dto: CreateCommodityDto): Promise<CommodityDto> {
    return this.catalog.createCommodity(dto);
  }
}
